//! The bus consumers: idempotent under redelivery, patient while the database is away.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};
use time::OffsetDateTime;
use tm_bus::CommandQueue;
use tm_cms::db::schema::messages;
use tm_core::event::{Envelope, IngestItem, IngestSource, PostSubmit, SourcesSnapshotRequest};
use tm_core::Event;
use tm_testkit::wait_until_async;
use uuid::Uuid;

use crate::helpers::{next_envelope, spawn_app, spawn_app_with, Options, TestApp, PATIENCE};

fn submit(room_id: u64, body: &str, client_id: Uuid) -> Envelope<PostSubmit> {
    Envelope::new(
        "tm-gateway",
        PostSubmit {
            room_id,
            nickname: "Ada".into(),
            participant_id: "browser-ada-1".into(),
            body: body.into(),
            client_id,
            received_at: OffsetDateTime::now_utc(),
        },
    )
}

async fn publish<E: Event>(app: &TestApp, envelope: &Envelope<E>) {
    app.bus.publisher().await.unwrap().publish(envelope).await.unwrap();
}

async fn stored_messages(app: &TestApp, room_id: u64) -> Vec<(Option<u64>, String)> {
    messages::table
        .filter(messages::room_id.eq(room_id))
        .order(messages::id.asc())
        .select((messages::seq, messages::body))
        .load(&mut app.db().await)
        .await
        .unwrap()
}

async fn wait_for_body(app: &TestApp, room_id: u64, body: &str) {
    wait_until_async(PATIENCE, &format!("{body:?} is stored"), || async {
        stored_messages(app, room_id).await.iter().any(|(_, b)| b == body)
    })
    .await;
}

#[tokio::test]
async fn a_redelivered_or_resent_post_submit_is_stored_once() {
    let app = spawn_app().await;
    let room = app.create_room("bus-posts").await;
    let client_id = Uuid::new_v4();
    let original = submit(room.id, "hello over the bus", client_id);

    publish(&app, &original).await;
    publish(&app, &original).await; // the same envelope again: a redelivery
    publish(&app, &submit(room.id, "hello over the bus", client_id)).await; // a resend
    publish(&app, &submit(room.id, "marker", Uuid::new_v4())).await;

    wait_for_body(&app, room.id, "marker").await;
    let stored = stored_messages(&app, room.id).await;
    assert_eq!(
        stored,
        [
            (Some(1), "hello over the bus".to_owned()),
            (Some(2), "marker".to_owned())
        ]
    );
    let listed = app.messages("bus-posts", "").await;
    assert_eq!(listed["messages"][0]["client_id"], client_id.to_string());
    app.stop().await;
}

#[tokio::test]
async fn a_post_submit_that_breaks_a_rule_is_dropped_not_dead_lettered() {
    let app = spawn_app().await;
    let room = app.create_room("bus-rules").await;
    let closed = app.create_room("bus-closed").await;
    app.owner(
        reqwest::Method::POST,
        "/api/v1/rooms/bus-closed/close",
        &closed.owner_token,
        None,
    )
    .await;

    publish(&app, &submit(room.id, &"x".repeat(281), Uuid::new_v4())).await;
    publish(&app, &submit(closed.id, "too late", Uuid::new_v4())).await;
    publish(&app, &submit(999_999, "no such room", Uuid::new_v4())).await;
    publish(&app, &submit(room.id, "marker", Uuid::new_v4())).await;

    wait_for_body(&app, room.id, "marker").await;
    assert_eq!(stored_messages(&app, room.id).await.len(), 1);
    assert!(stored_messages(&app, closed.id).await.is_empty());
    assert_eq!(app.bus.dead_letter_depth(CommandQueue::CmsPosts).await.unwrap(), 0);
    app.stop().await;
}

fn item(external_id: &str, room_ids: Vec<u64>) -> Envelope<IngestItem> {
    Envelope::new(
        "tm-ingest",
        IngestItem {
            source: IngestSource::Twitter,
            external_id: external_id.into(),
            room_ids,
            author: "@ada".into(),
            text: format!("tweet {external_id} #physics"),
            url: format!("https://twitter.example/ada/status/{external_id}"),
            posted_at: OffsetDateTime::now_utc(),
        },
    )
}

#[tokio::test]
async fn an_ingested_item_lands_once_in_each_of_its_rooms() {
    let app = spawn_app().await;
    let a = app.create_room("ingest-a").await;
    let b = app.create_room("ingest-b").await;

    let tweet = item("1001", vec![a.id, b.id]);
    publish(&app, &tweet).await;
    publish(&app, &tweet).await;
    publish(&app, &item("1001", vec![a.id])).await;
    publish(&app, &item("1002", vec![a.id, b.id])).await;

    wait_for_body(&app, b.id, "tweet 1002 #physics").await;
    wait_for_body(&app, a.id, "tweet 1002 #physics").await;
    for room in [&a, &b] {
        let bodies: Vec<String> = stored_messages(&app, room.id)
            .await
            .into_iter()
            .map(|(_, b)| b)
            .collect();
        assert_eq!(bodies, ["tweet 1001 #physics", "tweet 1002 #physics"]);
    }
    let listed = app.messages("ingest-a", "").await;
    let first: &Value = &listed["messages"][0];
    assert_eq!(first["kind"], "tweet");
    assert_eq!(first["nickname"], "@ada");
    assert_eq!(first["source_url"], "https://twitter.example/ada/status/1001");
    app.stop().await;
}

#[tokio::test]
async fn a_snapshot_request_is_answered_with_every_open_rooms_hashtags() {
    let app = spawn_app().await;
    let mut watch = app.watch("sources.*").await;
    let followed = app
        .create_room_from(json!({"name": "tagged", "lifetime": "2h", "hashtags": ["physics", "#Waves"]}))
        .await;
    app.create_room("untagged").await;
    let changed = next_envelope(&mut watch).await;
    assert_eq!(changed["type"], "sources.changed");
    assert_eq!(
        changed["payload"],
        json!({"room_id": followed.id, "hashtags": ["physics", "waves"]})
    );

    publish(
        &app,
        &Envelope::new(
            "tm-ingest",
            SourcesSnapshotRequest {
                requested_by: "test".into(),
            },
        ),
    )
    .await;

    let snapshot = next_envelope(&mut watch).await;
    assert_eq!(snapshot["type"], "sources.snapshot");
    assert_eq!(
        snapshot["payload"],
        json!({"rooms": [{"room_id": followed.id, "hashtags": ["physics", "waves"]}]})
    );

    app.patch_room(&followed, json!({"hashtags": ["optics"]})).await;
    let update = next_envelope(&mut watch).await;
    assert_eq!(
        update["payload"],
        json!({"room_id": followed.id, "hashtags": ["optics"]})
    );
    app.owner(
        reqwest::Method::POST,
        "/api/v1/rooms/tagged/close",
        &followed.owner_token,
        None,
    )
    .await;
    let closing = next_envelope(&mut watch).await;
    assert_eq!(closing["payload"], json!({"room_id": followed.id, "hashtags": []}));
    app.stop().await;
}

#[tokio::test]
async fn while_the_database_is_down_posts_wait_and_all_land_after_it_returns() {
    let app = spawn_app_with(Options {
        db_proxy: true,
        ..Options::default()
    })
    .await;
    let room = app.create_room("db-outage").await;
    let proxy = app.db_proxy.as_ref().unwrap();

    proxy.cut();
    // The proxy closes pooled connections as it notices the cut: poll until the API sees it.
    wait_until_async(PATIENCE, "the API reports the database unavailable", || async {
        app.get("/api/v1/rooms/db-outage").await.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE
    })
    .await;
    let unavailable = app.get("/api/v1/rooms/db-outage").await;
    assert_eq!(crate::helpers::error_code(unavailable).await, "unavailable");
    assert_eq!(
        app.get("/readyz").await.status(),
        reqwest::StatusCode::SERVICE_UNAVAILABLE
    );
    for i in 1..=5 {
        publish(&app, &submit(room.id, &format!("queued {i}"), Uuid::new_v4())).await;
    }
    wait_until_async(PATIENCE, "the consumer has retried at least once", || async {
        let metrics = app.get("/metrics").await.text().await.unwrap();
        metrics.contains(r#"tm_cms_consumed_messages_total{queue="cms.posts",outcome="retry"}"#)
    })
    .await;
    assert!(stored_messages(&app, room.id).await.is_empty());
    proxy.restore();

    wait_for_body(&app, room.id, "queued 5").await;
    let stored = stored_messages(&app, room.id).await;
    let expected: Vec<(Option<u64>, String)> = (1..=5).map(|i| (Some(i), format!("queued {i}"))).collect();
    assert_eq!(stored, expected, "all landed, in order, with gap-free seq");
    assert_eq!(app.bus.dead_letter_depth(CommandQueue::CmsPosts).await.unwrap(), 0);
    assert_eq!(app.get("/readyz").await.status(), reqwest::StatusCode::OK);
    app.stop().await;
}
