//! Join tokens for the gateway.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tm_core::{JoinClaims, Role};

use crate::helpers::{error_code, spawn_app, spawn_app_with, Options, JOIN_SECRET};

fn verify(token: &str) -> JoinClaims {
    JoinClaims::verify(
        token,
        JOIN_SECRET.as_bytes(),
        time::OffsetDateTime::now_utc().unix_timestamp(),
    )
    .unwrap()
}

#[tokio::test]
async fn joining_an_open_room_returns_a_signed_participant_token() {
    let app = spawn_app().await;
    let room = app
        .create_room_from(json!({"name": "open-room", "lifetime": "2h", "max_length": 140}))
        .await;

    let response = app
        .client
        .post(app.url("/api/v1/rooms/open-room/join"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["gateway_url"], "ws://127.0.0.1:8081/ws");
    let claims = verify(body["token"].as_str().unwrap());
    assert_eq!(claims.room_id, room.id);
    assert_eq!(claims.slug, "open-room");
    assert_eq!(claims.role, Role::Participant);
    assert_eq!(claims.max_length, 140);
    assert_eq!(claims.participant_id, body["participant_id"].as_str().unwrap());
    let again = app.join("open-room", None).await;
    assert_ne!(
        again.id, claims.participant_id,
        "every API join is a participant of its own"
    );
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(claims.exp > now && claims.exp <= now + 600);
    assert!(JoinClaims::verify(
        body["token"].as_str().unwrap(),
        b"another-secret-another-secret-xx",
        now
    )
    .is_err());
    app.stop().await;
}

#[tokio::test]
async fn password_rooms_need_the_right_password_and_the_owner_gets_the_owner_role() {
    let app = spawn_app().await;
    let room = app
        .create_room_from(json!({"name": "secret-room", "lifetime": "2h", "password": "open sesame"}))
        .await;
    assert_eq!(room.body["password_required"], true);

    let none = app.post_json("/api/v1/rooms/secret-room/join", &json!({})).await;
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(none).await, "password_required");

    let wrong = app
        .post_json("/api/v1/rooms/secret-room/join", &json!({"password": "guess"}))
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(wrong).await, "wrong_password");

    let right = app
        .post_json("/api/v1/rooms/secret-room/join", &json!({"password": "open sesame"}))
        .await;
    assert_eq!(right.status(), StatusCode::OK);
    let token = right.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(verify(&token).role, Role::Participant);

    // A browser's participant cookie (signed by the CMS) keeps its identity in the owner's token.
    app.create_room("public-room").await;
    let page = app.get("/r/public-room").await;
    let cookie = page
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tm_pid="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let browser_id = app
        .client
        .post(app.url("/r/public-room/token"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["participant_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let owner = app
        .client
        .post(app.url("/api/v1/rooms/secret-room/join"))
        .bearer_auth(&room.owner_token)
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(owner.status(), StatusCode::OK);
    let claims = verify(owner.json::<Value>().await.unwrap()["token"].as_str().unwrap());
    assert_eq!(claims.role, Role::Owner);
    assert_eq!(claims.participant_id, browser_id);
    app.stop().await;
}

#[tokio::test]
async fn password_guessing_is_rate_limited() {
    let app = spawn_app_with(Options {
        tweak: Some(Box::new(|s| s.join.attempts_per_minute = 3)),
        ..Options::default()
    })
    .await;
    app.create_room_from(json!({"name": "vault", "lifetime": "2h", "password": "right"}))
        .await;

    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            app.post_json("/api/v1/rooms/vault/join", &json!({"password": "wrong"}))
                .await
                .status(),
        );
    }

    assert_eq!(&statuses[..3], &[StatusCode::UNAUTHORIZED; 3]);
    assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS);
    let blocked = app
        .post_json("/api/v1/rooms/vault/join", &json!({"password": "right"}))
        .await;
    assert_eq!(error_code(blocked).await, "too_many_attempts");
    app.stop().await;
}

#[tokio::test]
async fn closed_and_unknown_rooms_cannot_be_joined() {
    let app = spawn_app().await;
    let room = app.create_room("gone-room").await;
    app.owner(
        reqwest::Method::POST,
        "/api/v1/rooms/gone-room/close",
        &room.owner_token,
        None,
    )
    .await;

    let closed = app.post_json("/api/v1/rooms/gone-room/join", &json!({})).await;
    assert_eq!(closed.status(), StatusCode::GONE);
    assert_eq!(error_code(closed).await, "room_closed");
    let unknown = app.post_json("/api/v1/rooms/no-room/join", &json!({})).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let bad_json = app
        .client
        .post(app.url("/api/v1/rooms/gone-room/join"))
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(bad_json).await, "invalid_json");
    app.stop().await;
}
