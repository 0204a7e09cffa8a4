//! Polls (docs/protocol.md v1.1): open, vote and change one's vote, close; the 410 and 422
//! rules; `poll.opened`, the coalesced `poll.updated` and `poll.closed` in the room's seq.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tm_testkit::wait_until_async;

use crate::helpers::{error_code, spawn_app, Participant, TestApp, TestRoom, PATIENCE};

async fn open_poll(app: &TestApp, room: &TestRoom, body: Value) -> reqwest::Response {
    app.owner(
        Method::POST,
        &format!("/api/v1/rooms/{}/polls", room.slug),
        &room.owner_token,
        Some(body),
    )
    .await
}

async fn ballot(app: &TestApp, who: &Participant, slug: &str, poll: &Value, options: &[&Value]) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/rooms/{slug}/polls/{}/votes", poll["id"])))
        .bearer_auth(&who.token)
        .json(&json!({"options": options}))
        .send()
        .await
        .unwrap()
}

fn counts(poll: &Value) -> Vec<u64> {
    poll["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["votes"].as_u64().unwrap())
        .collect()
}

fn events_named(events: &Value, name: &str) -> Vec<Value> {
    events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == name)
        .cloned()
        .collect()
}

#[tokio::test]
async fn only_the_owner_opens_a_poll_of_two_to_ten_different_options() {
    let app = spawn_app().await;
    let room = app.create_room("poll-rules").await;
    let cases = [
        json!({"question": "Best?", "options": ["only one"]}),
        json!({"question": "Best?", "options": ["1","2","3","4","5","6","7","8","9","10","11"]}),
        json!({"question": "Best?", "options": ["Tea", "tea"]}),
        json!({"question": "  ", "options": ["a", "b"]}),
        json!({"question": "Best?", "options": ["a", ""]}),
        json!({"question": "Best?", "options": ["a", "b\u{202e}"]}),
    ];
    for case in cases {
        let refused = open_poll(&app, &room, case.clone()).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{case}");
        assert_eq!(error_code(refused).await, "invalid_poll", "{case}");
    }
    let participant = app.join("poll-rules", None).await;
    let not_owner = app
        .owner(
            Method::POST,
            "/api/v1/rooms/poll-rules/polls",
            &participant.token,
            Some(json!({"question": "Mine?", "options": ["a", "b"]})),
        )
        .await;
    assert_eq!(not_owner.status(), StatusCode::FORBIDDEN);
    let polls: Value = app.get("/api/v1/rooms/poll-rules/polls").await.json().await.unwrap();
    assert_eq!(polls, json!({"polls": []}), "nothing refused was stored");
    app.stop().await;
}

#[tokio::test]
async fn a_poll_opens_takes_votes_that_can_change_and_closes() {
    let app = spawn_app().await;
    let room = app.create_room("lunch").await;
    let opened = open_poll(
        &app,
        &room,
        json!({"question": "Lunch?", "options": ["Soup", " Salad ", "Pie"]}),
    )
    .await;
    assert_eq!(opened.status(), StatusCode::CREATED);
    let poll: Value = opened.json().await.unwrap();
    assert_eq!(poll["state"], "open");
    assert_eq!(poll["multiple"], false);
    assert_eq!(poll["voters"], 0);
    assert_eq!(poll["options"][1]["text"], "Salad", "options are trimmed");
    let [soup, salad, pie] = [0, 1, 2].map(|i| poll["options"][i]["id"].clone());

    let (ada, bob) = (app.join("lunch", None).await, app.join("lunch", None).await);
    let voted: Value = ballot(&app, &ada, "lunch", &poll, &[&soup]).await.json().await.unwrap();
    assert_eq!((counts(&voted), voted["voters"].clone()), (vec![1, 0, 0], json!(1)));
    let voted: Value = ballot(&app, &bob, "lunch", &poll, &[&soup]).await.json().await.unwrap();
    assert_eq!(counts(&voted), [2, 0, 0]);
    // Ada changes her mind: her ballot is replaced, not added to.
    let changed: Value = ballot(&app, &ada, "lunch", &poll, &[&pie]).await.json().await.unwrap();
    assert_eq!((counts(&changed), changed["voters"].clone()), (vec![1, 0, 1], json!(2)));

    let several = ballot(&app, &ada, "lunch", &poll, &[&soup, &salad]).await;
    assert_eq!(several.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(several).await, "single_choice");
    let unknown = ballot(&app, &ada, "lunch", &poll, &[&json!(987_654)]).await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(unknown).await, "unknown_option");
    let none = ballot(&app, &ada, "lunch", &poll, &[]).await;
    assert_eq!(none.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let anonymous = app
        .post_json(
            &format!("/api/v1/rooms/lunch/polls/{}/votes", poll["id"]),
            &json!({"options": [soup]}),
        )
        .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(anonymous).await, "token_required");

    let close_path = format!("/api/v1/rooms/lunch/polls/{}/close", poll["id"]);
    let by_participant = app.owner(Method::POST, &close_path, &ada.token, None).await;
    assert_eq!(by_participant.status(), StatusCode::FORBIDDEN);
    let closed = app.owner(Method::POST, &close_path, &room.owner_token, None).await;
    assert_eq!(closed.status(), StatusCode::OK);
    let closed: Value = closed.json().await.unwrap();
    assert_eq!(
        (closed["state"].clone(), counts(&closed)),
        (json!("closed"), vec![1, 0, 1])
    );
    let again = app.owner(Method::POST, &close_path, &room.owner_token, None).await;
    assert_eq!(again.status(), StatusCode::OK, "closing twice changes nothing");
    let late = ballot(&app, &bob, "lunch", &poll, &[&salad]).await;
    assert_eq!(late.status(), StatusCode::GONE);
    assert_eq!(error_code(late).await, "poll_closed");

    let events = app.events("lunch", "").await;
    assert_eq!(events_named(&events, "poll.opened").len(), 1);
    let closes = events_named(&events, "poll.closed");
    assert_eq!(closes.len(), 1, "one poll.closed for two closes");
    assert_eq!(closes[0]["data"]["id"], poll["id"]);
    assert_eq!(closes[0]["data"]["seq"], closes[0]["seq"]);
    assert_eq!(counts(&closes[0]["data"]), [1, 0, 1], "the final counts");
    app.stop().await;
}

#[tokio::test]
async fn a_multiple_choice_poll_counts_each_option_and_each_voter_once() {
    let app = spawn_app().await;
    let room = app.create_room("topics").await;
    let poll: Value = open_poll(
        &app,
        &room,
        json!({"question": "Which topics?", "options": ["Optics", "Waves", "Heat"], "multiple": true}),
    )
    .await
    .json()
    .await
    .unwrap();
    let [optics, waves, heat] = [0, 1, 2].map(|i| poll["options"][i]["id"].clone());
    let voters: Vec<Participant> = futures_util::future::join_all((0..3).map(|_| app.join("topics", None))).await;
    for voter in &voters {
        let answer = ballot(&app, voter, "topics", &poll, &[&optics, &heat, &optics]).await;
        assert_eq!(answer.status(), StatusCode::OK);
    }
    let last: Value = ballot(&app, &voters[0], "topics", &poll, &[&waves])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((counts(&last), last["voters"].clone()), (vec![2, 1, 2], json!(3)));

    // The counts are announced coalesced: the last poll.updated carries them.
    wait_until_async(PATIENCE, "a poll.updated with the final counts", || async {
        let events = app.events("topics", "").await;
        events_named(&events, "poll.updated")
            .last()
            .is_some_and(|e| counts(&e["data"]) == [2, 1, 2])
    })
    .await;
    let events = app.events("topics", "").await;
    assert!(
        events_named(&events, "poll.updated").len() < 4,
        "four ballots in a burst are coalesced"
    );
    let listed: Value = app.get("/api/v1/rooms/topics/polls").await.json().await.unwrap();
    assert_eq!(counts(&listed["polls"][0]), [2, 1, 2]);
    app.stop().await;
}

#[tokio::test]
async fn polls_of_a_password_room_are_private() {
    let app = spawn_app().await;
    let room = app
        .create_room_from(json!({"name": "secret-poll", "lifetime": "2h", "password": "hunter22"}))
        .await;
    let opened = open_poll(&app, &room, json!({"question": "Q?", "options": ["a", "b"]})).await;
    assert_eq!(opened.status(), StatusCode::CREATED);
    let anonymous = app.get("/api/v1/rooms/secret-poll/polls").await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(anonymous).await, "password_required");
    let member = app.join("secret-poll", Some("hunter22")).await;
    let listed = app
        .client
        .get(app.url("/api/v1/rooms/secret-poll/polls"))
        .bearer_auth(&member.token)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn poll_results_are_in_every_transcript_format() {
    let app = spawn_app().await;
    let room = app.create_room("results").await;
    app.post_message("results", "Ada", "hello").await;
    let poll: Value = open_poll(
        &app,
        &room,
        json!({"question": "Tea or coffee?", "options": ["Tea", "Coffee"]}),
    )
    .await
    .json()
    .await
    .unwrap();
    let voter = app.join("results", None).await;
    let tea = poll["options"][0]["id"].clone();
    assert_eq!(
        ballot(&app, &voter, "results", &poll, &[&tea]).await.status(),
        StatusCode::OK
    );
    let close_path = format!("/api/v1/rooms/results/polls/{}/close", poll["id"]);
    assert_eq!(
        app.owner(Method::POST, &close_path, &room.owner_token, None)
            .await
            .status(),
        StatusCode::OK
    );

    let summary = "Tea or coffee? Tea 1, Coffee 0 (1 voter, closed)";
    let text = app.get("/r/results/transcript.txt").await.text().await.unwrap();
    assert!(text.contains(summary), "{text}");
    let csv = app.get("/r/results/transcript.csv").await.text().await.unwrap();
    assert!(
        csv.contains(&format!(",poll,\"{summary}\",")),
        "the body cell is quoted (it has commas): {csv}"
    );
    let json: Value = app.get("/r/results/transcript.json").await.json().await.unwrap();
    assert_eq!(json["polls"][0]["question"], "Tea or coffee?");
    assert_eq!(counts(&json["polls"][0]), [1, 0]);
    let html = app.get("/r/results/transcript").await.text().await.unwrap();
    assert!(html.contains("Tea or coffee?") && html.contains("1 (100%)"), "{html}");
    app.stop().await;
}
