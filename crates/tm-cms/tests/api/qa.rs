//! Q&A (docs/protocol.md v1.1): votes on messages, `order=votes`, answered and pinned, the
//! coalesced `message.updated`, and "deleted means gone" for its copies. Production defaults
//! (`[qa] update_interval_ms` = 1000).

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tm_testkit::wait_until_async;

use crate::helpers::{error_code, spawn_app, Participant, TestApp, PATIENCE};

async fn vote(app: &TestApp, method: Method, slug: &str, id: &Value, token: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .request(method, app.url(&format!("/api/v1/rooms/{slug}/messages/{id}/vote")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn vote_as(app: &TestApp, who: &Participant, slug: &str, id: &Value) -> Value {
    let response = vote(app, Method::POST, slug, id, Some(&who.token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Every `message.updated` of the room, oldest first.
async fn updates(app: &TestApp, slug: &str) -> Vec<Value> {
    let events = app.events(slug, "?limit=1000").await;
    events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "message.updated")
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_vote_counts_once_per_participant_and_can_be_taken_back() {
    let app = spawn_app().await;
    app.create_room("votes").await;
    let message: Value = app
        .post_message("votes", "Ada", "Why is the sky blue?")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(message["votes"], 0);
    assert_eq!(message["answered"], false);
    assert_eq!(message["pinned"], false);
    let (grace, alan) = (app.join("votes", None).await, app.join("votes", None).await);

    assert_eq!(
        vote_as(&app, &grace, "votes", &message["id"]).await,
        json!({"id": message["id"], "votes": 1, "voted": true})
    );
    let twice = vote_as(&app, &grace, "votes", &message["id"]).await;
    assert_eq!(twice["votes"], 1, "voting twice counts once");
    assert_eq!(vote_as(&app, &alan, "votes", &message["id"]).await["votes"], 2);

    let withdrawn = vote(&app, Method::DELETE, "votes", &message["id"], Some(&grace.token)).await;
    assert_eq!(withdrawn.status(), StatusCode::OK);
    let withdrawn: Value = withdrawn.json().await.unwrap();
    assert_eq!(withdrawn, json!({"id": message["id"], "votes": 1, "voted": false}));
    let again = vote(&app, Method::DELETE, "votes", &message["id"], Some(&grace.token)).await;
    assert_eq!(
        again.json::<Value>().await.unwrap()["votes"],
        1,
        "a vote is taken back once"
    );

    let listed = app.messages("votes", "").await;
    assert_eq!(listed["messages"][0]["votes"], 1);
    app.stop().await;
}

#[tokio::test]
async fn voting_needs_a_join_token_of_the_room_and_a_visible_message() {
    let app = spawn_app().await;
    app.create_room("ballot").await;
    app.create_room("elsewhere").await;
    let message: Value = app.post_message("ballot", "Ada", "hi").await.json().await.unwrap();
    let outsider = app.join("elsewhere", None).await;

    let anonymous = vote(&app, Method::POST, "ballot", &message["id"], None).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(anonymous).await, "token_required");
    let forged = vote(&app, Method::POST, "ballot", &message["id"], Some("not-a-token")).await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(forged).await, "invalid_token");
    let foreign = vote(&app, Method::POST, "ballot", &message["id"], Some(&outsider.token)).await;
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(foreign).await, "not_member");

    let member = app.join("ballot", None).await;
    let missing = vote(&app, Method::POST, "ballot", &json!(999_999), Some(&member.token)).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(missing).await, "message_not_found");
    // A message of another room is not found here either.
    let other: Value = app.post_message("elsewhere", "Bob", "x").await.json().await.unwrap();
    let crossed = vote(&app, Method::POST, "ballot", &other["id"], Some(&member.token)).await;
    assert_eq!(crossed.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn messages_sort_by_votes_with_ties_oldest_first() {
    let app = spawn_app().await;
    app.create_room("ranked").await;
    let mut ids = Vec::new();
    for body in ["first", "second", "third", "fourth"] {
        let message: Value = app.post_message("ranked", "Ada", body).await.json().await.unwrap();
        ids.push(message["id"].clone());
    }
    let voters = [
        app.join("ranked", None).await,
        app.join("ranked", None).await,
        app.join("ranked", None).await,
    ];
    for voter in &voters {
        vote_as(&app, voter, "ranked", &ids[2]).await;
    }
    vote_as(&app, &voters[0], "ranked", &ids[3]).await;
    vote_as(&app, &voters[0], "ranked", &ids[1]).await;

    let by_votes = app.messages("ranked", "?order=votes").await;
    let bodies: Vec<&str> = by_votes["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["third", "second", "fourth", "first"]);
    let by_seq = app.messages("ranked", "?order=seq").await;
    assert_eq!(by_seq["messages"][0]["body"], "first");
    let bad = app.get("/api/v1/rooms/ranked/messages?order=loudest").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(bad).await, "invalid_query");
    app.stop().await;
}

/// A burst of votes makes a few `message.updated` events, not one per vote, and the last one
/// carries the exact count.
#[tokio::test]
async fn a_burst_of_votes_is_announced_coalesced_with_the_exact_count() {
    let app = spawn_app().await;
    app.create_room("burst").await;
    let message: Value = app
        .post_message("burst", "Ada", "Question?")
        .await
        .json()
        .await
        .unwrap();
    let mut voters = Vec::new();
    for _ in 0..30 {
        voters.push(app.join("burst", None).await);
    }
    let votes = voters.iter().map(|voter| vote_as(&app, voter, "burst", &message["id"]));
    futures_util::future::join_all(votes).await;

    wait_until_async(PATIENCE, "a message.updated with all 30 votes", || async {
        updates(&app, "burst")
            .await
            .last()
            .is_some_and(|e| e["data"]["votes"] == 30)
    })
    .await;
    let announced = updates(&app, "burst").await;
    assert!(
        announced.len() <= 5,
        "30 votes within about a second are coalesced, got {} events",
        announced.len()
    );
    let last = announced.last().unwrap();
    assert_eq!(last["data"]["id"], message["id"]);
    assert_eq!(last["data"]["body"], "Question?", "the event carries the whole message");
    assert_eq!(
        last["data"]["seq"], last["seq"],
        "its seq is the event's place in the room"
    );
    assert_eq!(app.messages("burst", "").await["messages"][0]["votes"], 30);
    app.stop().await;
}

#[tokio::test]
async fn the_owner_marks_answered_and_pins_one_message_per_room() {
    let app = spawn_app().await;
    let room = app.create_room("marks").await;
    let first: Value = app.post_message("marks", "Ada", "one").await.json().await.unwrap();
    let second: Value = app.post_message("marks", "Bob", "two").await.json().await.unwrap();
    let path = |m: &Value| format!("/api/v1/rooms/marks/messages/{}", m["id"]);

    let participant = app.join("marks", None).await;
    let refused = app
        .owner(
            Method::PATCH,
            &path(&first),
            &participant.token,
            Some(json!({"pinned": true})),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(refused).await, "not_owner");

    let pinned = app
        .owner(
            Method::PATCH,
            &path(&first),
            &room.owner_token,
            Some(json!({"pinned": true, "answered": true})),
        )
        .await;
    assert_eq!(pinned.status(), StatusCode::OK);
    let pinned: Value = pinned.json().await.unwrap();
    assert_eq!(
        (pinned["pinned"].clone(), pinned["answered"].clone()),
        (json!(true), json!(true))
    );

    let moved = app
        .owner(
            Method::PATCH,
            &path(&second),
            &room.owner_token,
            Some(json!({"pinned": true})),
        )
        .await;
    assert_eq!(moved.status(), StatusCode::OK);
    let listed = app.messages("marks", "").await;
    let flags: Vec<(bool, bool)> = listed["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["pinned"].as_bool().unwrap(), m["answered"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        flags,
        [(false, true), (true, false)],
        "pinning another unpins the first"
    );

    // Each change is announced at once: first pinned+answered, then first unpinned, second pinned.
    let announced = updates(&app, "marks").await;
    let seen: Vec<(Value, Value)> = announced
        .iter()
        .map(|e| (e["data"]["id"].clone(), e["data"]["pinned"].clone()))
        .collect();
    assert_eq!(
        seen,
        [
            (first["id"].clone(), json!(true)),
            (first["id"].clone(), json!(false)),
            (second["id"].clone(), json!(true)),
        ]
    );

    let unknown_field = app
        .owner(
            Method::PATCH,
            &path(&first),
            &room.owner_token,
            Some(json!({"starred": true})),
        )
        .await;
    assert_eq!(unknown_field.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let audit: Value = app
        .owner(Method::GET, "/api/v1/rooms/marks/audit", &room.owner_token, None)
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["pin", "pin", "answer"],
        "newest first (the first PATCH logs answer, then pin)"
    );
    app.stop().await;
}

/// Deleted means gone: the copies of the text in `message.updated` are redacted with the
/// `message.created` entry, each keeping its seq.
#[tokio::test]
async fn deleting_a_voted_message_redacts_its_updates_too() {
    let app = spawn_app().await;
    let room = app.create_room("redacted").await;
    let message: Value = app
        .post_message("redacted", "Ada", "secret words")
        .await
        .json()
        .await
        .unwrap();
    let voter = app.join("redacted", None).await;
    vote_as(&app, &voter, "redacted", &message["id"]).await;
    wait_until_async(PATIENCE, "the vote is announced", || async {
        !updates(&app, "redacted").await.is_empty()
    })
    .await;
    let pinned = app
        .owner(
            Method::PATCH,
            &format!("/api/v1/rooms/redacted/messages/{}", message["id"]),
            &room.owner_token,
            Some(json!({"pinned": true})),
        )
        .await;
    assert_eq!(pinned.status(), StatusCode::OK);

    let deleted = app
        .owner(
            Method::DELETE,
            &format!("/api/v1/rooms/redacted/messages/{}", message["id"]),
            &room.owner_token,
            None,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let events = app.events("redacted", "").await;
    let text = events.to_string();
    assert!(!text.contains("secret words"), "{text}");
    let about_it: Vec<&Value> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "message.created" || e["event"] == "message.updated")
        .collect();
    assert_eq!(
        about_it.len(),
        3,
        "created, the vote's update, the pin's update: {text}"
    );
    for event in about_it {
        assert_eq!(
            event["data"],
            json!({"room_id": room.id, "seq": event["seq"], "id": message["id"], "deleted": true})
        );
    }
    let gone = vote(&app, Method::POST, "redacted", &message["id"], Some(&voter.token)).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND, "a deleted message takes no votes");
    app.stop().await;
}

#[tokio::test]
async fn a_closed_room_takes_no_votes_or_marks() {
    let app = spawn_app().await;
    let room = app.create_room("shut").await;
    let message: Value = app.post_message("shut", "Ada", "late").await.json().await.unwrap();
    let voter = app.join("shut", None).await;
    let closed = app
        .owner(Method::POST, "/api/v1/rooms/shut/close", &room.owner_token, None)
        .await;
    assert_eq!(closed.status(), StatusCode::OK);

    let refused = vote(&app, Method::POST, "shut", &message["id"], Some(&voter.token)).await;
    assert_eq!(refused.status(), StatusCode::GONE);
    assert_eq!(error_code(refused).await, "room_closed");
    let mark = app
        .owner(
            Method::PATCH,
            &format!("/api/v1/rooms/shut/messages/{}", message["id"]),
            &room.owner_token,
            Some(json!({"answered": true})),
        )
        .await;
    assert_eq!(mark.status(), StatusCode::GONE);
    app.stop().await;
}
