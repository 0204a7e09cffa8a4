//! The sweeper closes expired rooms and purges them after the retention period.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use reqwest::StatusCode;
use serde_json::Value;
use tm_cms::engine::db::schema::{messages, room_events};
use tm_testkit::wait_until_async;

use crate::helpers::{spawn_app_with, Options, PATIENCE};

#[tokio::test]
async fn expired_rooms_close_and_are_deleted_after_retention() {
    let app = spawn_app_with(Options {
        tweak: Some(Box::new(|s| s.rooms.sweep_interval_secs = 1)),
        ..Options::default()
    })
    .await;
    let room = app.create_room("short-lived").await;
    app.post_message("short-lived", "Ada", "bye").await;
    let keeper = app.create_room("long-lived").await;

    app.exec(&format!(
        "UPDATE rooms SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = {}",
        room.id
    ))
    .await;

    wait_until_async(PATIENCE, "the expired room is closed", || async {
        app.get("/api/v1/rooms/short-lived")
            .await
            .json::<Value>()
            .await
            .unwrap()["state"]
            == "closed"
    })
    .await;
    let closed: Value = app.get("/api/v1/rooms/short-lived").await.json().await.unwrap();
    assert_eq!(closed["close_reason"], "expired");
    let events = app.events("short-lived", "?after=1").await;
    assert_eq!(events["events"][0]["event"], "room.closed");
    assert_eq!(events["events"][0]["data"]["reason"], "expired");
    assert_eq!(
        app.get("/api/v1/rooms/long-lived").await.json::<Value>().await.unwrap()["state"],
        "open"
    );

    app.exec(&format!(
        "UPDATE rooms SET closed_at = UTC_TIMESTAMP(6) - INTERVAL 31 DAY WHERE id = {}",
        room.id
    ))
    .await;

    wait_until_async(PATIENCE, "the old room is purged", || async {
        app.get("/api/v1/rooms/short-lived").await.status() == StatusCode::NOT_FOUND
    })
    .await;
    let mut conn = app.db().await;
    let leftovers: i64 = messages::table
        .filter(messages::room_id.eq(room.id))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    let events: i64 = room_events::table
        .filter(room_events::room_id.eq(room.id))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!((leftovers, events), (0, 0));
    assert_eq!(app.get("/api/v1/rooms/long-lived").await.status(), StatusCode::OK);
    let _ = keeper;
    app.stop().await;
}
