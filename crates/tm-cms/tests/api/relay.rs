//! The relay: the event log reaches `tm.events` in order, once, and survives a broker cut.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::Value;
use tm_cms::db::schema::room_events;
use tm_testkit::wait_until_async;

use crate::helpers::{next_envelope, spawn_app, spawn_app_with, Options, TestApp, PATIENCE};

async fn unpublished(app: &TestApp) -> i64 {
    room_events::table
        .filter(room_events::published_at.is_null())
        .count()
        .get_result(&mut app.db().await)
        .await
        .unwrap()
}

#[tokio::test]
async fn events_reach_the_broker_in_seq_order_and_are_marked_published() {
    let app = spawn_app().await;
    let room = app.create_room("relayed").await;
    let mut feed = app.watch_room(room.id).await;

    for i in 1..=5 {
        app.post_message("relayed", "Ada", &format!("m{i}")).await;
    }

    for seq in 1..=5u64 {
        let envelope = next_envelope(&mut feed).await;
        assert_eq!(envelope["type"], "message.created");
        assert_eq!(envelope["producer"], "tm-cms");
        assert_eq!(envelope["payload"]["seq"], seq);
        assert_eq!(envelope["payload"]["body"], format!("m{seq}"));
    }
    wait_until_async(PATIENCE, "every event is marked published", || async {
        unpublished(&app).await == 0
    })
    .await;
    let replay = app.events("relayed", "").await;
    assert_eq!(replay["events"].as_array().unwrap().len(), 5);
    app.stop().await;
}

#[tokio::test]
async fn a_broker_outage_delays_events_but_loses_and_duplicates_none() {
    let app = spawn_app_with(Options {
        broker_proxy: true,
        ..Options::default()
    })
    .await;
    let room = app.create_room("outage").await;
    let mut feed = app.watch_room(room.id).await;
    app.post_message("outage", "Ada", "before").await;
    assert_eq!(next_envelope(&mut feed).await["payload"]["seq"], 1);

    app.broker_proxy.as_ref().unwrap().cut();
    for i in 2..=10 {
        let response = app.post_message("outage", "Ada", &format!("during {i}")).await;
        assert_eq!(
            response.status(),
            reqwest::StatusCode::CREATED,
            "HTTP posting works without the broker"
        );
    }
    assert_eq!(unpublished(&app).await, 9, "held in the log while the broker is away");
    app.broker_proxy.as_ref().unwrap().restore();

    let mut seqs = Vec::new();
    while seqs.last() != Some(&10) {
        let envelope: Value = next_envelope(&mut feed).await;
        seqs.push(envelope["payload"]["seq"].as_u64().unwrap());
    }
    assert_eq!(seqs, (2..=10).collect::<Vec<_>>(), "in order, none lost, none twice");
    wait_until_async(PATIENCE, "the log is fully published", || async {
        unpublished(&app).await == 0
    })
    .await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("tm_cms_relay_publish_failures_total"), "{metrics}");
    app.stop().await;
}

#[tokio::test]
async fn only_one_relay_is_active_per_database() {
    let app = spawn_app().await;
    wait_until_async(PATIENCE, "the app's relay holds the lock", || async {
        app.get("/metrics")
            .await
            .text()
            .await
            .unwrap()
            .contains("tm_cms_relay_active 1")
    })
    .await;
    let mut conn = app.db().await;

    #[derive(QueryableByName)]
    struct Answer {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
        answer: Option<i64>,
    }
    let second: Answer = diesel::sql_query("SELECT GET_LOCK(CONCAT('tm.relay.', DATABASE()), 0) AS answer")
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(second.answer, Some(0), "a second instance would wait for the lock");
    app.stop().await;
}
