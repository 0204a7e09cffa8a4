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

/// Seconds from now until an RFC 3339 time.
fn seconds_until(rfc3339: &Value) -> i64 {
    let at = time::OffsetDateTime::parse(
        rfc3339.as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    (at - time::OffsetDateTime::now_utc()).whole_seconds()
}

/// Issue: nobody saw when a room expires and the owner could not extend it. `PATCH` takes a new
/// `lifetime` (the creation choices), counted from now: later, or sooner.
#[tokio::test]
async fn the_owner_moves_the_closing_time_with_a_new_lifetime() {
    let app = spawn_app().await;
    let room = app.create_room("longer").await;
    let created = seconds_until(&room.body["expires_at"]);
    assert!((7100..=7200).contains(&created), "2 h: {created}");

    let week = 7 * 24 * 3600;
    let extended = app.patch_room(&room, json!({"lifetime": "1w"})).await;
    assert_eq!(extended.status(), StatusCode::OK);
    let answer: Value = extended.json().await.unwrap();
    let left = seconds_until(&answer["expires_at"]);
    assert!((week - 60..=week).contains(&left), "a week from now: {left}");
    let stored: Value = app.get("/api/v1/rooms/longer").await.json().await.unwrap();
    assert_eq!(stored["expires_at"], answer["expires_at"]);
    assert_eq!(
        stored["seq"], 0,
        "no room event: the closing time is not in room.updated"
    );

    let sooner: Value = app
        .patch_room(&room, json!({"lifetime": "2h", "topic": "Ends soon"}))
        .await
        .json()
        .await
        .unwrap();
    let left = seconds_until(&sooner["expires_at"]);
    assert!((7100..=7200).contains(&left), "sooner is allowed too: {left}");
    assert_eq!(sooner["topic"], "Ends soon");
    assert_eq!(sooner["seq"], 1, "the topic's room.updated");

    for bad in [json!({"lifetime": "3d"}), json!({"lifetime": ""})] {
        let refused = app.patch_room(&room, bad.clone()).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(error_code(refused).await, "invalid_lifetime", "{bad}");
    }
    let unchanged: Value = app.get("/api/v1/rooms/longer").await.json().await.unwrap();
    assert_eq!(
        unchanged["expires_at"], sooner["expires_at"],
        "a refused lifetime changes nothing"
    );
    let anonymous = app
        .client
        .patch(app.url("/api/v1/rooms/longer"))
        .json(&json!({"lifetime": "1y"}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::FORBIDDEN);

    let audit: Value = app
        .owner(Method::GET, "/api/v1/rooms/longer/audit", &room.owner_token, None)
        .await
        .json()
        .await
        .unwrap();
    let lifetimes: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "set_lifetime")
        .map(|e| e["target"].as_str().unwrap())
        .collect();
    assert_eq!(lifetimes.len(), 2, "{audit}");
    assert!(lifetimes[0].starts_with("2h until "), "{lifetimes:?}");

    app.owner(Method::POST, "/api/v1/rooms/longer/close", &room.owner_token, None)
        .await;
    let closed = app.patch_room(&room, json!({"lifetime": "1y"})).await;
    assert_eq!(closed.status(), StatusCode::GONE, "a closed room stays closed");
    app.stop().await;
}

/// The room page and the owner page show when the room closes; the owner page sets a new
/// lifetime with the creation choices, and says so.
#[tokio::test]
async fn the_pages_show_the_closing_time_and_the_owner_page_moves_it() {
    let app = spawn_app().await;
    let room = app.create_room("closing-time").await;
    let expires = room.body["expires_at"].as_str().unwrap().to_owned();
    let stamp = format!("<time datetime=\"{expires}\" data-local=\"datetime\">");
    let page = app.get("/r/closing-time").await.text().await.unwrap();
    assert!(page.contains(&format!("Open until {stamp}")), "{page}");
    let controls = app
        .owner_page(&room, "/r/closing-time/owner")
        .await
        .text()
        .await
        .unwrap();
    assert!(controls.contains(&format!("closes by itself on {stamp}")), "{controls}");
    for lifetime in ["2h", "1d", "1w", "1m", "1y"] {
        assert!(
            controls.contains(&format!("<option value=\"{lifetime}\"")),
            "{lifetime} offered: {controls}"
        );
    }

    let moved = app
        .owner_form(&room, "/r/closing-time/owner/lifetime", &[("lifetime", "1m")])
        .await;
    assert_eq!(moved.status(), StatusCode::SEE_OTHER);
    let stored: Value = app.get("/api/v1/rooms/closing-time").await.json().await.unwrap();
    let month = 30 * 24 * 3600;
    let left = seconds_until(&stored["expires_at"]);
    assert!((month - 60..=month).contains(&left), "{left}");
    let notice = moved
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tm_flash_notice="))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .expect("a notice");
    let shown = crate::helpers::page_client()
        .get(app.url("/r/closing-time/owner"))
        .header("Cookie", format!("{}; {notice}", crate::helpers::owner_cookie(&room)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(shown.contains("New closing time saved"), "{shown}");
    assert!(
        shown.contains(&format!(
            "<time datetime=\"{}\"",
            stored["expires_at"].as_str().unwrap()
        )),
        "{shown}"
    );

    let refused = app
        .owner_form(&room, "/r/closing-time/owner/lifetime", &[("lifetime", "forever")])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert!(page.contains("lifetime must be one of 2h, 1d, 1w, 1m, 1y"), "{page}");
    app.stop().await;
}

/// A room page shows the room's latest messages however many other events came after them.
/// The pages used to read only the messages among the last 3 × N seqs (N = 100 on the room
/// page, 30 on the projector, 50 in the embed), so a room whose last few hundred events were
/// not messages (vote counts, settings, pins) showed fewer messages, or none.
#[tokio::test]
async fn room_pages_show_the_latest_messages_after_many_other_events() {
    let app = spawn_app().await;
    let room = app.create_room("after-events").await;
    for body in ["first words", "second words"] {
        let response = app.post_message(&room.slug, "Ada", body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    // 310 `room.updated` events: more than three times the room page's 100.
    for i in 0..310 {
        let seconds = if i % 2 == 0 { 60 } else { 0 };
        let response = app.patch_room(&room, json!({"slow_mode_seconds": seconds})).await;
        assert_eq!(response.status(), StatusCode::OK, "update {i}");
    }
    let seq = app.messages(&room.slug, "").await["seq"].as_u64().unwrap();
    assert!(seq >= 312, "every update took a seq: {seq}");

    // The room page and the embed list the newest first, the projector the oldest first.
    for (page, newest_first) in [("", true), ("/projector", false), ("/embed", true)] {
        let response = app.get(&format!("/r/{}{page}", room.slug)).await;
        assert_eq!(response.status(), StatusCode::OK, "/r/{}{page}", room.slug);
        let html = response.text().await.unwrap();
        let at = |body: &str| {
            html.find(body)
                .unwrap_or_else(|| panic!("/r/{}{page} misses {body:?}", room.slug))
        };
        assert_eq!(
            at("second words") < at("first words"),
            newest_first,
            "/r/{}{page} lists its messages in the wrong order",
            room.slug
        );
    }
    app.stop().await;
}
