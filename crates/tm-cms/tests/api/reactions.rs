//! Live reactions: the owner's set of emoji (the counts never reach the CMS).

use reqwest::StatusCode;
use serde_json::{json, Value};
use tm_core::JoinClaims;

use crate::helpers::{error_code, next_envelope, spawn_app, JOIN_SECRET};

#[tokio::test]
async fn a_new_room_offers_the_default_reactions_and_the_owner_changes_them_in_one_room_updated() {
    let app = spawn_app().await;
    let room = app.create_room("cheers").await;
    let default = json!(["👍", "❤️", "😂", "😮", "👏"]);
    assert_eq!(room.body["reactions"], default);
    assert_eq!(
        app.get("/api/v1/rooms/cheers").await.json::<Value>().await.unwrap()["reactions"],
        default
    );

    let mut bus = app.watch_room(room.id).await;
    let response = app.patch_room(&room, json!({"reactions": ["🎉", " 🔥 ", "👍🏽"]})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let chosen = json!(["🎉", "🔥", "👍🏽"]);
    assert_eq!(
        response.json::<Value>().await.unwrap()["reactions"],
        chosen,
        "in order, trimmed"
    );
    assert_eq!(
        app.get("/api/v1/rooms/cheers").await.json::<Value>().await.unwrap()["reactions"],
        chosen
    );

    let published = next_envelope(&mut bus).await;
    assert_eq!(published["type"], "room.updated");
    assert_eq!(published["payload"]["reactions"], chosen);
    assert_eq!(published["payload"]["seq"], 1);
    let logged = app.events("cheers", "").await;
    assert_eq!(logged["events"][0]["event"], "room.updated");
    assert_eq!(logged["events"][0]["data"]["reactions"], chosen);

    // Another setting keeps the set, and every room.updated carries it.
    app.patch_room(&room, json!({"topic": "Friday"})).await;
    assert_eq!(
        app.events("cheers", "?after=1").await["events"][0]["data"]["reactions"],
        chosen
    );
    let unchanged = app.patch_room(&room, json!({"reactions": ["🎉", "🔥", "👍🏽"]})).await;
    assert_eq!(
        unchanged.json::<Value>().await.unwrap()["seq"],
        2,
        "the same set: no event"
    );

    // The join token carries the set, so a gateway knows it before any room.updated.
    let join: Value = app
        .post_json("/api/v1/rooms/cheers/join", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let claims = JoinClaims::verify(
        join["token"].as_str().unwrap(),
        JOIN_SECRET.as_bytes(),
        time::OffsetDateTime::now_utc().unix_timestamp(),
    )
    .unwrap();
    assert_eq!(claims.reactions, ["🎉", "🔥", "👍🏽"]);
    app.stop().await;
}

#[tokio::test]
async fn a_reaction_set_that_is_not_one_to_eight_different_emoji_is_refused() {
    let app = spawn_app().await;
    let room = app.create_room("strict").await;
    for bad in [
        json!([]),
        json!(["👍", "❤️", "😂", "😮", "👏", "🎉", "🙏", "🔥", "✅"]),
        json!(["👍", "👍"]),
        json!(["❤", "❤️"]),
        json!(["yes"]),
        json!(["👍👍"]),
        json!(["👍 ok"]),
        json!([""]),
    ] {
        let response = app.patch_room(&room, json!({"reactions": bad})).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(error_code(response).await, "invalid_reactions", "{bad}");
    }
    let wrong_shape = app.patch_room(&room, json!({"reactions": "👍"})).await;
    assert_eq!(wrong_shape.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let room_now: Value = app.get("/api/v1/rooms/strict").await.json().await.unwrap();
    assert_eq!(room_now["seq"], 0, "nothing changed");
    assert_eq!(room_now["reactions"][0], "👍");
    app.stop().await;
}
