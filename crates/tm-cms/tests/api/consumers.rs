//! The bus consumers: idempotent under redelivery, patient while the database is away.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};
use time::OffsetDateTime;
use tm_bus::CommandQueue;
use tm_cms::db::schema::messages;
use tm_core::event::{Envelope, IngestItem, IngestRetract, IngestSource, PostSubmit, SourcesSnapshotRequest};
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
            author_id: None,
        },
    )
}

const TROLL_DID: &str = "did:plc:trolltrolltrolltrolltrol";

fn bluesky_post(rkey: &str, did: &str, handle: &str, room_ids: Vec<u64>) -> Envelope<IngestItem> {
    Envelope::new(
        "tm-ingest",
        IngestItem {
            source: IngestSource::Bluesky,
            external_id: format!("at://{did}/app.bsky.feed.post/{rkey}"),
            room_ids,
            author: handle.into(),
            text: format!("skeet {rkey} #physics101"),
            url: format!("https://bsky.app/profile/{did}/post/{rkey}"),
            posted_at: OffsetDateTime::now_utc(),
            author_id: Some(did.into()),
        },
    )
}

fn retract(did: &str, rkey: &str) -> Envelope<IngestRetract> {
    Envelope::new(
        "tm-ingest",
        IngestRetract {
            source: IngestSource::Bluesky,
            external_id: format!("at://{did}/app.bsky.feed.post/{rkey}"),
        },
    )
}

#[tokio::test]
async fn a_retracted_bluesky_post_is_deleted_from_every_room_like_an_owner_delete() {
    let app = spawn_app().await;
    let a = app.create_room("retract-a").await;
    let b = app.create_room("retract-b").await;
    let mut events = app.watch_room(a.id).await;
    let ada = "did:plc:adaadaadaadaadaadaadaada";
    publish(&app, &bluesky_post("3kgone", ada, "ada.bsky.social", vec![a.id, b.id])).await;
    publish(&app, &bluesky_post("3kstays", ada, "ada.bsky.social", vec![a.id])).await;
    wait_for_body(&app, a.id, "skeet 3kstays #physics101").await;
    wait_for_body(&app, b.id, "skeet 3kgone #physics101").await;

    let listed = app.messages("retract-a", "").await;
    let first: &Value = &listed["messages"][0];
    assert_eq!(first["kind"], "bluesky");
    assert_eq!(first["nickname"], "ada.bsky.social");
    assert_eq!(
        first["source_url"],
        format!("https://bsky.app/profile/{ada}/post/3kgone")
    );
    let gone_id = first["id"].as_u64().unwrap();
    let created = next_envelope(&mut events).await;
    assert_eq!(created["type"], "message.created");

    let deletion = retract(ada, "3kgone");
    publish(&app, &deletion).await;
    publish(&app, &deletion).await; // a redelivery
    publish(&app, &retract(ada, "3knever")).await; // never delivered: a no-op
    loop {
        let env = next_envelope(&mut events).await;
        if env["type"] == "message.deleted" {
            assert_eq!(env["payload"]["id"], gone_id);
            break;
        }
    }
    for slug in ["retract-a", "retract-b"] {
        wait_until_async(PATIENCE, "the retracted post is gone from the listing", || async {
            let listed = app.messages(slug, "").await;
            !listed["messages"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["body"] == "skeet 3kgone #physics101")
        })
        .await;
    }
    let bodies: Vec<Value> = app.messages("retract-a", "").await["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].clone())
        .collect();
    assert_eq!(bodies, [json!("skeet 3kstays #physics101")]);
    let log = app.events("retract-a", "").await;
    let redacted = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "message.created" && e["data"]["id"] == gone_id)
        .expect("the created event keeps its seq");
    assert_eq!(redacted["data"]["deleted"], true, "deleted means gone: {redacted}");
    assert!(!redacted.to_string().contains("3kgone"), "{redacted}");
    let deletes = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "message.deleted")
        .count();
    assert_eq!(deletes, 1, "the redelivered retract changed nothing");
    assert_eq!(app.bus.dead_letter_depth(CommandQueue::CmsIngest).await.unwrap(), 0);
    app.stop().await;
}

#[tokio::test]
async fn a_muted_external_author_is_skipped_under_any_handle_and_others_still_land() {
    let app = spawn_app().await;
    let room = app.create_room("ext-mutes").await;
    for participant in [format!("bluesky:{TROLL_DID}"), "mastodon:spam@bad.social".to_owned()] {
        let muted = app
            .owner(
                reqwest::Method::POST,
                "/api/v1/rooms/ext-mutes/mutes",
                &room.owner_token,
                Some(json!({"participant_id": participant})),
            )
            .await;
        assert_eq!(muted.status(), reqwest::StatusCode::NO_CONTENT);
    }
    publish(
        &app,
        &bluesky_post("3kt1", TROLL_DID, "troll.bsky.social", vec![room.id]),
    )
    .await;
    publish(&app, &bluesky_post("3kt2", TROLL_DID, "renamed.example", vec![room.id])).await;
    let mut toot = item("9001", vec![room.id]);
    toot.payload.source = IngestSource::Mastodon;
    toot.payload.author = "spam@bad.social".into();
    publish(&app, &toot).await;
    publish(
        &app,
        &bluesky_post(
            "3kok",
            "did:plc:nicenicenicenicenicenice",
            "nice.bsky.social",
            vec![room.id],
        ),
    )
    .await;
    wait_for_body(&app, room.id, "skeet 3kok #physics101").await;
    let stored = stored_messages(&app, room.id).await;
    assert_eq!(
        stored,
        [(Some(1), "skeet 3kok #physics101".to_owned())],
        "muted authors' items are skipped"
    );

    let unmuted = app
        .owner(
            reqwest::Method::DELETE,
            &format!("/api/v1/rooms/ext-mutes/mutes/bluesky:{TROLL_DID}"),
            &room.owner_token,
            None,
        )
        .await;
    assert_eq!(unmuted.status(), reqwest::StatusCode::NO_CONTENT);
    publish(&app, &bluesky_post("3kt3", TROLL_DID, "renamed.example", vec![room.id])).await;
    wait_for_body(&app, room.id, "skeet 3kt3 #physics101").await;
    app.stop().await;
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
