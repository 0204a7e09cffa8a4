//! The bus consumers: idempotent under redelivery, patient while the database is away.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use reqwest::StatusCode;
use serde_json::{json, Value};
use time::OffsetDateTime;
use tm_bus::CommandQueue;
use tm_cms::engine::db::schema::messages;
use tm_core::event::{Envelope, IngestItem, IngestRetract, IngestSource, PostSubmit, SourcesSnapshotRequest};
use tm_core::Event;
use tm_testkit::wait_until_async;
use uuid::Uuid;

use crate::helpers::{next_envelope, spawn_app, spawn_app_with, Options, TestApp, PATIENCE};

pub(crate) fn submit(room_id: u64, body: &str, client_id: Uuid) -> Envelope<PostSubmit> {
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

pub(crate) async fn publish<E: Event>(app: &TestApp, envelope: &Envelope<E>) {
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

pub(crate) async fn wait_for_body(app: &TestApp, room_id: u64, body: &str) {
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

/// The `post.rejected` events among the next `count` room events, as (client_id, code).
async fn rejections(watch: &mut tm_bus::Subscription, count: usize) -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    while found.len() < count {
        let envelope = next_envelope(watch).await;
        if envelope["type"] == "post.rejected" {
            let payload = &envelope["payload"];
            found.push((
                payload["client_id"].as_str().unwrap().to_owned(),
                payload["code"].as_str().unwrap().to_owned(),
                payload["participant_id"].as_str().unwrap().to_owned(),
            ));
        }
    }
    found
}

#[tokio::test]
async fn a_post_submit_that_breaks_a_rule_is_rejected_to_its_poster_once_not_dropped_silently() {
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
    let mut watch_room = app.watch_room(room.id).await;
    let mut watch_closed = app.watch_room(closed.id).await;

    let too_long = submit(room.id, &"x".repeat(281), Uuid::new_v4());
    let too_late = submit(closed.id, "too late", Uuid::new_v4());
    publish(&app, &too_long).await;
    publish(&app, &too_late).await;
    publish(&app, &too_late).await; // redelivered: refused once, not judged again
    publish(&app, &submit(room.id, "marker", Uuid::new_v4())).await;

    wait_for_body(&app, room.id, "marker").await;
    assert_eq!(
        rejections(&mut watch_room, 1).await,
        [(
            too_long.payload.client_id.to_string(),
            "body_too_long".to_owned(),
            "browser-ada-1".to_owned()
        )]
    );
    assert_eq!(
        rejections(&mut watch_closed, 1).await,
        [(
            too_late.payload.client_id.to_string(),
            "room_closed".to_owned(),
            "browser-ada-1".to_owned()
        )]
    );
    assert_eq!(stored_messages(&app, room.id).await.len(), 1);
    assert!(stored_messages(&app, closed.id).await.is_empty());
    let logged: i64 = tm_cms::engine::db::schema::room_events::table
        .filter(tm_cms::engine::db::schema::room_events::event_type.eq("post.rejected"))
        .count()
        .get_result(&mut app.db().await)
        .await
        .unwrap();
    assert_eq!(logged, 2, "the redelivery wrote no second rejection");
    let events = app.events("bus-rules", "").await;
    assert!(
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["event"] != "post.rejected"),
        "a rejection is not room state: {events}"
    );
    assert_eq!(app.bus.dead_letter_depth(CommandQueue::CmsPosts).await.unwrap(), 0);
    app.stop().await;
}

/// A refused post's poster was told so: a redelivery after the rule stopped applying (the room
/// was resumed) is not judged again, so the message the poster was told is refused never
/// appears.
#[tokio::test]
async fn a_refused_post_redelivered_after_the_room_reopened_stays_refused() {
    let app = spawn_app().await;
    let room = app.create_room("bus-paused").await;
    assert_eq!(
        app.patch_room(&room, json!({"state": "paused"})).await.status(),
        StatusCode::OK
    );
    let mut watch = app.watch_room(room.id).await;
    let refused = submit(room.id, "while paused", Uuid::new_v4());
    publish(&app, &refused).await;
    assert_eq!(
        rejections(&mut watch, 1).await,
        [(
            refused.payload.client_id.to_string(),
            "room_paused".to_owned(),
            "browser-ada-1".to_owned()
        )]
    );

    assert_eq!(
        app.patch_room(&room, json!({"state": "open"})).await.status(),
        StatusCode::OK
    );
    publish(&app, &refused).await; // the redelivery
    publish(&app, &submit(room.id, "marker", Uuid::new_v4())).await;
    wait_for_body(&app, room.id, "marker").await;
    let bodies: Vec<String> = stored_messages(&app, room.id)
        .await
        .into_iter()
        .map(|(_, body)| body)
        .collect();
    assert_eq!(bodies, ["marker"], "the refused post was not stored on its redelivery");
    app.stop().await;
}

fn submit_received(room_id: u64, body: &str, received_at: OffsetDateTime) -> Envelope<PostSubmit> {
    let mut envelope = submit(room_id, body, Uuid::new_v4());
    envelope.payload.received_at = received_at;
    envelope
}

/// The report: after an outage the backlog arrives in one burst and everything past the burst
/// was dropped, because the limits were judged when the CMS consumed the posts.
#[tokio::test]
async fn a_backlog_is_judged_at_received_at_so_posts_sent_within_the_limits_all_land() {
    // Default limits (30 a minute, burst 10) and a 3 s slow mode.
    let app = spawn_app().await;
    let room = app.create_room("backlog").await;
    app.patch_room(&room, json!({"slow_mode_seconds": 3})).await;
    // Twenty posts, one every 3 s, sent during the last minute, all consumed now at once.
    let start = OffsetDateTime::now_utc() - time::Duration::seconds(61);
    for i in 0..20 {
        let at = start + time::Duration::seconds(3 * i);
        publish(&app, &submit_received(room.id, &format!("backlog {i}"), at)).await;
    }
    // And two posts sent 1 s apart (the second breaks slow mode when it was sent).
    let now = OffsetDateTime::now_utc();
    publish(
        &app,
        &submit_received(room.id, "on time", now - time::Duration::seconds(1)),
    )
    .await;
    let too_soon = submit_received(room.id, "too soon", now);
    let mut watch = app.watch_room(room.id).await;
    publish(&app, &too_soon).await;

    assert_eq!(
        rejections(&mut watch, 1).await,
        [(
            too_soon.payload.client_id.to_string(),
            "slow_down".to_owned(),
            "browser-ada-1".to_owned()
        )]
    );
    let bodies: Vec<String> = stored_messages(&app, room.id)
        .await
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    let mut expected: Vec<String> = (0..20).map(|i| format!("backlog {i}")).collect();
    expected.push("on time".into());
    assert_eq!(bodies, expected, "every post sent within the limits landed");
    let listed = app.messages("backlog", "").await;
    let first_at = listed["messages"][0]["created_at"].as_str().unwrap();
    let first_at = OffsetDateTime::parse(first_at, &time::format_description::well_known::Rfc3339).unwrap();
    assert!(
        (first_at - start).abs() < time::Duration::seconds(1),
        "a queued post is dated when it was sent: {first_at}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_permanent_database_failure_is_dead_lettered_and_the_queue_moves_on() {
    let app = spawn_app().await;
    let room = app.create_room("permanent").await;
    // A participant id wider than its 128-character column: the insert fails the same way on
    // every attempt ("Data too long").
    let mut too_wide = submit(room.id, "never fits", Uuid::new_v4());
    too_wide.payload.participant_id = "p".repeat(200);
    publish(&app, &too_wide).await;
    publish(&app, &submit(room.id, "behind it", Uuid::new_v4())).await;

    wait_for_body(&app, room.id, "behind it").await;
    wait_until_async(PATIENCE, "the failing post is dead-lettered", || async {
        app.bus.dead_letter_depth(CommandQueue::CmsPosts).await.unwrap() == 1
    })
    .await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"tm_cms_consumed_messages_total{queue="cms.posts",outcome="dead"} 1"#),
        "{metrics}"
    );
    let dead = app.bus.take_dead_letter(CommandQueue::CmsPosts).await.unwrap().unwrap();
    assert_eq!(dead.message_id, Some(too_wide.id.to_string()));
    let reason = dead.reason.unwrap_or_default();
    assert!(
        reason.starts_with("permanent database failure") && reason.contains("Data too long"),
        "the dead letter says why: {reason}"
    );
    app.stop().await;
}

fn toot(external_id: &str, author: &str, room_ids: Vec<u64>) -> Envelope<IngestItem> {
    let mut envelope = item(external_id, room_ids);
    envelope.payload.source = IngestSource::Mastodon;
    envelope.payload.author = author.into();
    envelope
}

/// The report: an account name over 119 characters did not fit `mastodon:<acct>` into the
/// 128-character column, and an external id over 191 characters clashed on redelivery; both were
/// retried forever with everything behind them waiting.
#[tokio::test]
async fn oversized_source_input_is_stored_once_and_holds_nothing_up() {
    let app = spawn_app().await;
    let room = app.create_room("oversized").await;
    let long_acct = format!("{}@example.social", "a".repeat(130));
    let long_id = format!("https://example.social/users/ada/statuses/{}", "9".repeat(200));

    publish(&app, &toot("1", &long_acct, vec![room.id])).await;
    let long = toot(&long_id, "ada@example.social", vec![room.id]);
    publish(&app, &long).await;
    publish(&app, &long).await; // redelivered
    publish(&app, &toot("2", "ada@example.social", vec![room.id])).await;

    wait_for_body(&app, room.id, "tweet 2 #physics").await;
    let bodies: Vec<String> = stored_messages(&app, room.id)
        .await
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    assert_eq!(
        bodies,
        [
            "tweet 1 #physics".to_owned(),
            format!("tweet {long_id} #physics"),
            "tweet 2 #physics".to_owned()
        ]
    );
    assert_eq!(app.bus.dead_letter_depth(CommandQueue::CmsIngest).await.unwrap(), 0);
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

/// The value of a counter on `/metrics`, 0 when it was never incremented.
async fn counter(app: &TestApp, name: &str) -> f64 {
    let metrics = app.get("/metrics").await.text().await.unwrap();
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// Issue 18 (group commit): a backlog, here the posts queued while the database was down, is
/// judged in batches, one transaction each, and ends exactly as one post at a time would:
/// in order with gap-free seq in each room, a resend stored once, a post that breaks a rule
/// refused to its poster once.
#[tokio::test]
async fn a_backlog_is_judged_in_batches_with_the_same_outcome_as_one_by_one() {
    let app = spawn_app_with(Options {
        db_proxy: true,
        ..Options::default()
    })
    .await;
    let first = app.create_room("batch-one").await;
    let second = app.create_room("batch-two").await;
    let mut watch = app.watch_room(first.id).await;
    let proxy = app.db_proxy.as_ref().unwrap();
    proxy.cut();
    wait_until_async(PATIENCE, "the API reports the database unavailable", || async {
        app.get("/api/v1/rooms/batch-one").await.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE
    })
    .await;

    // One poster per post: the shipped per-participant limits are not what this tests.
    let by = |room_id: u64, body: &str, who: usize| {
        let mut post = submit(room_id, body, Uuid::new_v4());
        post.payload.participant_id = format!("browser-{who}");
        post
    };
    let too_long = submit(first.id, &"x".repeat(281), Uuid::new_v4());
    let resent = by(second.id, "second 3", 103);
    for i in 1..=12 {
        publish(&app, &by(first.id, &format!("first {i}"), i)).await;
        if i <= 6 {
            let post = if i == 3 {
                resent.clone()
            } else {
                by(second.id, &format!("second {i}"), 100 + i)
            };
            publish(&app, &post).await;
        }
        if i == 4 {
            publish(&app, &too_long).await;
            publish(&app, &resent).await;
        }
    }
    wait_until_async(PATIENCE, "the consumer has retried at least once", || async {
        let metrics = app.get("/metrics").await.text().await.unwrap();
        metrics.contains(r#"tm_cms_consumed_messages_total{queue="cms.posts",outcome="retry"}"#)
    })
    .await;
    proxy.restore();

    wait_for_body(&app, first.id, "first 12").await;
    wait_for_body(&app, second.id, "second 6").await;
    let expected = |name: &str, n: u64| -> Vec<(Option<u64>, String)> {
        (1..=n).map(|i| (Some(i), format!("{name} {i}"))).collect()
    };
    assert_eq!(stored_messages(&app, first.id).await, expected("first", 12));
    assert_eq!(
        stored_messages(&app, second.id).await,
        expected("second", 6),
        "the resend is stored once"
    );
    assert_eq!(
        rejections(&mut watch, 1).await,
        [(
            too_long.payload.client_id.to_string(),
            "body_too_long".to_owned(),
            "browser-ada-1".to_owned()
        )]
    );
    assert!(
        counter(&app, "tm_cms_post_batches_total").await >= 1.0,
        "the backlog was judged in batches"
    );
    assert!(counter(&app, "tm_cms_batched_posts_total").await >= 2.0);
    assert_eq!(app.bus.dead_letter_depth(CommandQueue::CmsPosts).await.unwrap(), 0);
    app.stop().await;
}
