//! Owner moderation: delete, mute, approve-before-show, and the audit log.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app};

#[tokio::test]
async fn deleting_a_message_hides_it_and_logs_message_deleted() {
    let app = spawn_app().await;
    let room = app.create_room("deletes").await;
    let message: Value = app.post_message("deletes", "Ada", "oops").await.json().await.unwrap();
    let path = format!("/api/v1/rooms/deletes/messages/{}", message["id"]);

    let not_owner = app.owner(Method::DELETE, &path, "nope", None).await;
    assert_eq!(not_owner.status(), StatusCode::FORBIDDEN);
    let deleted = app.owner(Method::DELETE, &path, &room.owner_token, None).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let twice = app.owner(Method::DELETE, &path, &room.owner_token, None).await;
    assert_eq!(twice.status(), StatusCode::NO_CONTENT);
    let missing = app
        .owner(
            Method::DELETE,
            "/api/v1/rooms/deletes/messages/999999",
            &room.owner_token,
            None,
        )
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(missing).await, "message_not_found");

    assert!(app.messages("deletes", "").await["messages"]
        .as_array()
        .unwrap()
        .is_empty());
    let events = app.events("deletes", "?after=1").await;
    assert_eq!(
        events["events"].as_array().unwrap().len(),
        1,
        "one event for two deletes"
    );
    assert_eq!(events["events"][0]["event"], "message.deleted");
    assert_eq!(
        events["events"][0]["data"],
        json!({"room_id": room.id, "seq": 2, "id": message["id"]})
    );
    app.stop().await;
}

#[tokio::test]
async fn a_muted_participant_cannot_post_until_unmuted() {
    let app = spawn_app().await;
    let room = app.create_room("mutes").await;
    let (troll, nice) = (app.join("mutes", None).await, app.join("mutes", None).await);
    let muted = app
        .owner(
            Method::POST,
            "/api/v1/rooms/mutes/mutes",
            &room.owner_token,
            Some(json!({"participant_id": troll.id})),
        )
        .await;
    assert_eq!(muted.status(), StatusCode::NO_CONTENT);

    let refused = app
        .post_as(&troll, "mutes", json!({"nickname": "T", "body": "spam"}))
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(refused).await, "muted");
    let others = app
        .post_as(&nice, "mutes", json!({"nickname": "N", "body": "hi"}))
        .await;
    assert_eq!(others.status(), StatusCode::CREATED);

    let unmuted = app
        .owner(
            Method::DELETE,
            &format!("/api/v1/rooms/mutes/mutes/{}", troll.id),
            &room.owner_token,
            None,
        )
        .await;
    assert_eq!(unmuted.status(), StatusCode::NO_CONTENT);
    let back = app
        .post_as(&troll, "mutes", json!({"nickname": "T", "body": "sorry"}))
        .await;
    assert_eq!(back.status(), StatusCode::CREATED);
    app.stop().await;
}

#[tokio::test]
async fn in_approve_mode_posts_wait_for_the_owner() {
    let app = spawn_app().await;
    let room = app.create_room("approvals").await;
    app.patch_room(&room, json!({"moderation": "approve"})).await;

    let first: Value = app
        .post_message("approvals", "Ada", "please show me")
        .await
        .json()
        .await
        .unwrap();
    let second: Value = app
        .post_message("approvals", "Bob", "and me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["state"], "pending");
    assert!(
        app.messages("approvals", "").await["messages"]
            .as_array()
            .unwrap()
            .is_empty(),
        "hidden from everyone"
    );
    let hidden = app.get("/api/v1/rooms/approvals/pending").await;
    assert_eq!(hidden.status(), StatusCode::FORBIDDEN);
    let pending: Value = app
        .owner(Method::GET, "/api/v1/rooms/approvals/pending", &room.owner_token, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pending["messages"].as_array().unwrap().len(), 2);

    let approve = format!("/api/v1/rooms/approvals/messages/{}/approve", first["id"]);
    let approved = app.owner(Method::POST, &approve, &room.owner_token, None).await;
    assert_eq!(approved.status(), StatusCode::OK);
    let approved: Value = approved.json().await.unwrap();
    assert_eq!(approved["state"], "visible");
    assert_eq!(approved["seq"], 2, "seq 1 was the moderation change");
    let again = app.owner(Method::POST, &approve, &room.owner_token, None).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(error_code(again).await, "not_pending");
    let reject = format!("/api/v1/rooms/approvals/messages/{}/reject", second["id"]);
    assert_eq!(
        app.owner(Method::POST, &reject, &room.owner_token, None).await.status(),
        StatusCode::OK
    );

    let visible = app.messages("approvals", "").await;
    let bodies: Vec<&str> = visible["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["please show me"]);
    let events = app.events("approvals", "?after=1").await;
    assert_eq!(events["events"].as_array().unwrap().len(), 1, "rejection emits nothing");
    assert_eq!(events["events"][0]["event"], "message.created");
    app.stop().await;
}

/// PROTOCOL.md: in an approve-before-show room, a post the owner rejects reaches its poster as
/// `rejected` with `not_approved` (through a `post.rejected` event), instead of waiting forever.
#[tokio::test]
async fn a_pending_post_the_owner_rejects_is_told_to_its_poster_as_not_approved() {
    let app = spawn_app().await;
    let room = app.create_room("refusals").await;
    app.patch_room(&room, json!({"moderation": "approve"})).await;
    let client_id = uuid::Uuid::new_v4();
    let posted: Value = app
        .post_json(
            "/api/v1/rooms/refusals/messages",
            &json!({"nickname": "Ada", "body": "please?", "client_id": client_id}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(posted["state"], "pending");
    let mut watch = app.watch_room(room.id).await;

    let reject = format!("/api/v1/rooms/refusals/messages/{}/reject", posted["id"]);
    let answer = app.owner(Method::POST, &reject, &room.owner_token, None).await;
    assert_eq!(answer.status(), StatusCode::OK);

    let envelope = loop {
        let envelope = crate::helpers::next_envelope(&mut watch).await;
        if envelope["type"] == "post.rejected" {
            break envelope;
        }
    };
    assert_eq!(envelope["payload"]["client_id"], client_id.to_string());
    assert_eq!(envelope["payload"]["code"], "not_approved");
    assert_eq!(envelope["payload"]["room_id"], room.id);
    app.stop().await;
}

#[tokio::test]
async fn every_moderation_action_lands_in_the_audit_log() {
    let app = spawn_app().await;
    let room = app.create_room("audited").await;
    let message: Value = app.post_message("audited", "Ada", "x").await.json().await.unwrap();
    app.patch_room(
        &room,
        json!({"topic": "New topic", "state": "paused", "hashtags": ["rust"]}),
    )
    .await;
    app.owner(
        Method::POST,
        "/api/v1/rooms/audited/mutes",
        &room.owner_token,
        Some(json!({"participant_id": "p-42"})),
    )
    .await;
    app.owner(
        Method::DELETE,
        &format!("/api/v1/rooms/audited/messages/{}", message["id"]),
        &room.owner_token,
        None,
    )
    .await;
    app.owner(Method::POST, "/api/v1/rooms/audited/close", "test-admin-token", None)
        .await;

    let forbidden = app.get("/api/v1/rooms/audited/audit").await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    let log: Value = app
        .owner(Method::GET, "/api/v1/rooms/audited/audit", &room.owner_token, None)
        .await
        .json()
        .await
        .unwrap();
    let entries: Vec<(String, String, String)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().into(),
                e["action"].as_str().unwrap().into(),
                e["target"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected = [
        ("owner", "set_topic", "New topic".to_owned()),
        ("owner", "pause", String::new()),
        ("owner", "set_hashtags", "rust".to_owned()),
        ("owner", "mute", "participant:p-42".to_owned()),
        ("owner", "delete", format!("message:{}", message["id"])),
        ("admin", "close", "admin".to_owned()),
    ];
    let expected: Vec<(String, String, String)> =
        expected.into_iter().map(|(a, b, c)| (a.into(), b.into(), c)).collect();
    assert_eq!(entries, expected);
    assert!(log["entries"][0]["at"].as_str().unwrap().ends_with('Z'));
    app.stop().await;
}
