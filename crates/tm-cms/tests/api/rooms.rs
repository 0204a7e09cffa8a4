//! Creating, reading, updating and closing rooms.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app};

#[tokio::test]
async fn creating_a_room_returns_it_with_a_one_time_owner_token() {
    let app = spawn_app().await;

    let response = app
        .create_room_with(json!({"name": "Physics-101", "lifetime": "1d", "topic": "Waves", "hashtags": ["#Physics"], "max_length": 500}))
        .await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let room: Value = response.json().await.unwrap();
    assert_eq!(room["slug"], "physics-101");
    assert_eq!(room["url"], "http://127.0.0.1:8080/r/physics-101");
    assert_eq!(room["topic"], "Waves");
    assert_eq!(room["state"], "open");
    assert_eq!(room["hashtags"], json!(["physics"]));
    assert_eq!(room["max_length"], 500);
    assert_eq!(room["moderation"], "post");
    assert_eq!(room["slow_mode_seconds"], 0);
    assert_eq!(room["seq"], 0);
    assert_eq!(
        room["owner_token"].as_str().unwrap().len(),
        43,
        "256 bits in unpadded base64url"
    );
    let expires = time::OffsetDateTime::parse(
        room["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let lifetime = expires - time::OffsetDateTime::now_utc();
    assert!(lifetime > time::Duration::hours(23) && lifetime <= time::Duration::hours(24));

    let read: Value = app.get("/api/v1/rooms/physics-101").await.json().await.unwrap();
    assert_eq!(read["slug"], "physics-101");
    assert!(read.get("owner_token").is_none(), "the token is shown once");
    app.stop().await;
}

#[tokio::test]
async fn room_creation_enforces_every_rule() {
    let app = spawn_app().await;
    let cases = [
        (json!({"name": "ab", "lifetime": "2h"}), "invalid_name"),
        (json!({"name": "no--dashes", "lifetime": "2h"}), "invalid_name"),
        (json!({"name": "admin", "lifetime": "2h"}), "invalid_name"),
        (json!({"name": "good-name", "lifetime": "3h"}), "invalid_lifetime"),
        (
            json!({"name": "good-name", "lifetime": "2h", "hashtags": ["not a tag"]}),
            "invalid_hashtag",
        ),
        (
            json!({"name": "good-name", "lifetime": "2h", "hashtags": (0..11).map(|i| format!("t{i}")).collect::<Vec<_>>()}),
            "too_many_hashtags",
        ),
        (
            json!({"name": "good-name", "lifetime": "2h", "max_length": 0}),
            "invalid_max_length",
        ),
        (
            json!({"name": "good-name", "lifetime": "2h", "max_length": 2001}),
            "invalid_max_length",
        ),
        (
            json!({"name": "good-name", "lifetime": "2h", "topic": "x".repeat(201)}),
            "invalid_topic",
        ),
        (
            json!({"name": "good-name", "lifetime": "2h", "password": "p".repeat(129)}),
            "invalid_password",
        ),
    ];
    for (body, code) in cases {
        let response = app.create_room_with(body.clone()).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(error_code(response).await, code, "{body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_name_is_taken_while_its_room_is_open_and_free_after_it_closes() {
    let app = spawn_app().await;
    let first = app.create_room("chem-lab").await;

    let again = app
        .create_room_with(json!({"name": "chem-lab", "lifetime": "2h"}))
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(error_code(again).await, "name_taken");

    let closed = app
        .owner(Method::POST, "/api/v1/rooms/chem-lab/close", &first.owner_token, None)
        .await;
    assert_eq!(closed.status(), StatusCode::OK);
    let closed: Value = closed.json().await.unwrap();
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["close_reason"], "owner");

    let second = app.create_room("chem-lab").await;
    assert_ne!(second.id, first.id);
    let read: Value = app.get("/api/v1/rooms/chem-lab").await.json().await.unwrap();
    assert_eq!(read["id"], second.id, "the slug now names the new room");
    assert_eq!(read["state"], "open");
    app.stop().await;
}

#[tokio::test]
async fn unknown_rooms_are_404_and_owner_calls_need_the_owner_token() {
    let app = spawn_app().await;
    let room = app.create_room("history").await;

    let missing = app.get("/api/v1/rooms/nowhere").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(missing).await, "room_not_found");

    for token in ["wrong-token", ""] {
        let patch = app
            .owner(
                Method::PATCH,
                "/api/v1/rooms/history",
                token,
                Some(json!({"topic": "x"})),
            )
            .await;
        assert_eq!(patch.status(), StatusCode::FORBIDDEN);
        assert_eq!(error_code(patch).await, "not_owner");
        let close = app
            .owner(Method::POST, "/api/v1/rooms/history/close", token, None)
            .await;
        assert_eq!(close.status(), StatusCode::FORBIDDEN);
    }
    let unauthenticated = app
        .client
        .post(app.url("/api/v1/rooms/history/close"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), StatusCode::FORBIDDEN);

    let admin = app
        .owner(Method::POST, "/api/v1/rooms/history/close", "test-admin-token", None)
        .await;
    assert_eq!(admin.status(), StatusCode::OK);
    let admin: Value = admin.json().await.unwrap();
    assert_eq!(admin["close_reason"], "admin");
    let _ = room;
    app.stop().await;
}

#[tokio::test]
async fn the_owner_updates_a_room_and_each_change_is_one_sequenced_event() {
    let app = spawn_app().await;
    let room = app.create_room("maths").await;

    let response = app
        .patch_room(
            &room,
            json!({"topic": "Algebra", "state": "paused", "slow_mode_seconds": 30, "moderation": "approve"}),
        )
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["topic"], "Algebra");
    assert_eq!(updated["state"], "paused");
    assert_eq!(updated["slow_mode_seconds"], 30);
    assert_eq!(updated["moderation"], "approve");
    assert_eq!(updated["seq"], 1);
    let events = app.events("maths", "").await;
    assert_eq!(events["seq"], 1);
    assert_eq!(events["events"][0]["event"], "room.updated");
    assert_eq!(events["events"][0]["seq"], 1);
    assert_eq!(events["events"][0]["data"]["state"], "paused");
    assert_eq!(events["events"][0]["data"]["topic"], "Algebra");

    let unchanged = app.patch_room(&room, json!({"topic": "Algebra"})).await;
    assert_eq!(
        unchanged.json::<Value>().await.unwrap()["seq"],
        1,
        "no change, no event"
    );

    for (body, code) in [
        (json!({"state": "closed"}), "invalid_state"),
        (json!({"slow_mode_seconds": 3601}), "invalid_slow_mode"),
        (json!({"hashtags": ["a b"]}), "invalid_hashtag"),
    ] {
        let response = app.patch_room(&room, body).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error_code(response).await, code);
    }

    app.owner(Method::POST, "/api/v1/rooms/maths/close", &room.owner_token, None)
        .await;
    let after_close = app.patch_room(&room, json!({"topic": "late"})).await;
    assert_eq!(after_close.status(), StatusCode::GONE);
    assert_eq!(error_code(after_close).await, "room_closed");
    let events = app.events("maths", "?after=1").await;
    assert_eq!(events["events"][0]["event"], "room.closed");
    assert_eq!(events["events"][0]["data"]["reason"], "owner");
    app.stop().await;
}
