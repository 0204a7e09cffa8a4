//! The word filter: posts using a word or phrase the owner blocked are held for approval (state
//! `pending`), from the API, the WebSocket (through the bus) and the sources alike; only the
//! owner sees the list.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use time::OffsetDateTime;
use tm_cms::engine::db::schema::messages;
use tm_core::event::{Envelope, IngestItem, IngestSource};
use uuid::Uuid;

use crate::consumers::{publish, submit, wait_for_body};
use crate::helpers::{error_code, next_envelope, spawn_app, TestApp, TestRoom};

async fn block(app: &TestApp, room: &TestRoom, words: &[&str]) -> Value {
    let response = app.patch_room(room, json!({ "blocked_words": words })).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn room_as(app: &TestApp, slug: &str, bearer: Option<&str>) -> Value {
    let mut request = app.client.get(app.url(&format!("/api/v1/rooms/{slug}")));
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Every message of the room as stored: (body, state), oldest first.
async fn stored(app: &TestApp, room_id: u64) -> Vec<(String, String)> {
    messages::table
        .filter(messages::room_id.eq(room_id))
        .order(messages::id.asc())
        .select((messages::body, messages::state))
        .load(&mut app.db().await)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_owner_sets_the_word_filter_and_nobody_else_sees_it() {
    let app = spawn_app().await;
    let room = app.create_room("filtered").await;
    assert_eq!(room.body["blocked_words"], json!([]), "the creator's answer shows it");

    let updated = block(&app, &room, &["Bad", " really  bad idea ", "", "ＢＡＤ"]).await;
    assert_eq!(
        updated["blocked_words"],
        json!(["Bad", "really bad idea"]),
        "blank lines and entries matching the same words are dropped"
    );
    let public = room_as(&app, "filtered", None).await;
    assert!(public.get("blocked_words").is_none(), "leaked: {public}");
    let participant = app.join("filtered", None).await;
    let member = room_as(&app, "filtered", Some(&participant.token)).await;
    assert!(
        member.get("blocked_words").is_none(),
        "leaked to a participant: {member}"
    );
    let owner = room_as(&app, "filtered", Some(&room.owner_token)).await;
    assert_eq!(owner["blocked_words"], json!(["Bad", "really bad idea"]));
    let admin = room_as(&app, "filtered", Some("test-admin-token")).await;
    assert_eq!(admin["blocked_words"], json!(["Bad", "really bad idea"]));

    let stranger = app
        .owner(
            Method::PATCH,
            "/api/v1/rooms/filtered",
            &participant.token,
            Some(json!({"blocked_words": []})),
        )
        .await;
    assert_eq!(stranger.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(stranger).await, "not_owner");

    let events = app.events("filtered", "").await;
    assert!(
        events["events"].as_array().unwrap().is_empty(),
        "the list is private: no room.updated carries it: {events}"
    );
    assert_eq!(
        app.audit(&room).await,
        [(
            "owner".to_owned(),
            "set_blocked_words".to_owned(),
            "2 entries".to_owned()
        )]
    );
    app.stop().await;
}

#[tokio::test]
async fn a_refused_word_list_is_a_typed_422_and_keeps_the_list() {
    let app = spawn_app().await;
    let room = app.create_room("filter-rules").await;
    block(&app, &room, &["keep"]).await;
    let too_many: Vec<String> = (0..101).map(|i| format!("word{i}")).collect();
    let cases = [
        (json!(["fine", "!!!"]), "invalid_blocked_word"),
        (json!(["hidden\u{202E}override"]), "invalid_blocked_word"),
        (json!(["two\nlines"]), "invalid_blocked_word"),
        (json!(["x".repeat(51)]), "invalid_blocked_word"),
        (json!(too_many), "too_many_blocked_words"),
        (json!([42]), "invalid_request"),
    ];
    for (words, code) in cases {
        let response = app.patch_room(&room, json!({ "blocked_words": words })).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{words}");
        assert_eq!(error_code(response).await, code, "{words}");
    }
    let owner = room_as(&app, "filter-rules", Some(&room.owner_token)).await;
    assert_eq!(owner["blocked_words"], json!(["keep"]), "nothing was lost");
    app.stop().await;
}

#[tokio::test]
async fn a_post_using_a_blocked_word_is_held_until_the_owner_approves_it() {
    let app = spawn_app().await;
    let room = app.create_room("held").await;
    block(&app, &room, &["bad", "really bad idea"]).await;

    let mut held_ids = Vec::new();
    for (nickname, body) in [
        ("Ada", "that is ＢＡＤ!"),
        ("Ada", "what a Really, BAD idea"),
        ("Bad Bob", "hello"),
    ] {
        let response = app.post_message("held", nickname, body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{body}");
        let message: Value = response.json().await.unwrap();
        assert_eq!(message["state"], "pending", "{nickname}: {body}");
        assert_eq!(message["seq"], 0);
        held_ids.push(message["id"].as_u64().unwrap());
    }
    let shown: Value = app
        .post_message("held", "Ada", "badminton tonight")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["state"], "visible", "a longer word is another word");
    assert_eq!(shown["seq"], 1);

    let listed = app.messages("held", "").await;
    let bodies: Vec<&str> = listed["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["badminton tonight"], "held posts are hidden from everyone");
    let pending: Value = app
        .owner(Method::GET, "/api/v1/rooms/held/pending", &room.owner_token, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pending["messages"].as_array().unwrap().len(), 3);
    let holds: Vec<String> = app
        .audit(&room)
        .await
        .into_iter()
        .filter(|(actor, action, _)| actor == "word_filter" && action == "hold")
        .map(|(_, _, target)| target)
        .collect();
    let expected: Vec<String> = held_ids.iter().map(|id| format!("message:{id}")).collect();
    assert_eq!(holds, expected, "the log says why each one waits");

    let approve = format!("/api/v1/rooms/held/messages/{}/approve", held_ids[0]);
    let approved: Value = app
        .owner(Method::POST, &approve, &room.owner_token, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(approved["state"], "visible");
    assert_eq!(approved["seq"], 2);
    let events = app.events("held", "?after=1").await;
    assert_eq!(events["events"][0]["event"], "message.created");
    assert_eq!(events["events"][0]["data"]["body"], "that is ＢＡＤ!");
    app.stop().await;
}

/// A WebSocket post reaches the CMS as `post.submit`: held like any post, and when the owner
/// rejects it its poster hears `rejected` with `not_approved`, as in approve mode.
#[tokio::test]
async fn a_held_websocket_post_the_owner_rejects_is_told_to_its_poster() {
    let app = spawn_app().await;
    let room = app.create_room("held-ws").await;
    block(&app, &room, &["spoiler"]).await;
    let held = submit(room.id, "SPOILER: it was the butler", Uuid::new_v4());
    publish(&app, &held).await;
    publish(&app, &submit(room.id, "no spoilers please", Uuid::new_v4())).await;
    wait_for_body(&app, room.id, "no spoilers please").await;
    assert_eq!(
        stored(&app, room.id).await,
        [
            ("SPOILER: it was the butler".to_owned(), "pending".to_owned()),
            ("no spoilers please".to_owned(), "visible".to_owned()),
        ],
        "\"spoilers\" is another word"
    );

    let mut watch = app.watch_room(room.id).await;
    let pending: Value = app
        .owner(Method::GET, "/api/v1/rooms/held-ws/pending", &room.owner_token, None)
        .await
        .json()
        .await
        .unwrap();
    let id = &pending["messages"][0]["id"];
    let reject = format!("/api/v1/rooms/held-ws/messages/{id}/reject");
    let rejected = app.owner(Method::POST, &reject, &room.owner_token, None).await;
    assert_eq!(rejected.status(), StatusCode::OK);
    let envelope = loop {
        let envelope = next_envelope(&mut watch).await;
        if envelope["type"] == "post.rejected" {
            break envelope;
        }
    };
    assert_eq!(envelope["payload"]["client_id"], held.payload.client_id.to_string());
    assert_eq!(envelope["payload"]["code"], "not_approved");
    app.stop().await;
}

fn item_from(source: IngestSource, external_id: &str, text: &str, room_id: u64) -> Envelope<IngestItem> {
    Envelope::new(
        "tm-ingest",
        IngestItem {
            source,
            external_id: external_id.into(),
            room_ids: vec![room_id],
            author: "ada".into(),
            text: text.into(),
            url: format!("https://source.example/{external_id}"),
            posted_at: OffsetDateTime::now_utc(),
            author_id: None,
        },
    )
}

#[tokio::test]
async fn tweets_toots_and_bluesky_posts_using_a_blocked_word_are_held_too() {
    let app = spawn_app().await;
    let room = app.create_room("held-sources").await;
    block(&app, &room, &["bad"]).await;
    let sources = [IngestSource::Twitter, IngestSource::Mastodon, IngestSource::Bluesky];
    for (n, source) in sources.into_iter().enumerate() {
        publish(
            &app,
            &item_from(source, &format!("held-{n}"), &format!("so Bad #physics {n}"), room.id),
        )
        .await;
        publish(
            &app,
            &item_from(source, &format!("shown-{n}"), &format!("so good #physics {n}"), room.id),
        )
        .await;
    }
    wait_for_body(&app, room.id, "so good #physics 2").await;
    wait_for_body(&app, room.id, "so Bad #physics 2").await;
    let mut found = stored(&app, room.id).await;
    found.sort();
    let expected: Vec<(String, String)> = (0..3)
        .flat_map(|n| {
            [
                (format!("so Bad #physics {n}"), "pending".to_owned()),
                (format!("so good #physics {n}"), "visible".to_owned()),
            ]
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(found, expected);
    app.stop().await;
}

/// The owner page's settings form: one word or phrase per line; a refused entry is said on the
/// page and the list stays as it was.
#[tokio::test]
async fn the_owner_page_edits_the_word_filter_one_entry_per_line() {
    let app = spawn_app().await;
    let room = app.create_room("filter-page").await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = format!("tm_owner_{}={}", room.id, room.owner_token);
    let save = |words: &'static str| {
        client
            .post(app.url("/r/filter-page/owner/settings"))
            .header("Cookie", cookie.clone())
            .form(&[
                ("topic", ""),
                ("hashtags", ""),
                ("slow_mode_seconds", "0"),
                ("moderation", "post"),
                ("blocked_words", words),
            ])
            .send()
    };

    let saved = save("bad\r\n  really bad idea \r\n\r\n").await.unwrap();
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let owner = room_as(&app, "filter-page", Some(&room.owner_token)).await;
    assert_eq!(owner["blocked_words"], json!(["bad", "really bad idea"]));
    let page = client
        .get(app.url("/r/filter-page/owner"))
        .header("Cookie", cookie.clone())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(">bad\nreally bad idea</textarea>"),
        "the form shows the list, one per line: {page}"
    );

    let refused = save("fine\n???").await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert!(page.contains("refused: &quot;???&quot;"), "the reason: {page}");
    assert!(
        page.contains(">fine\n???</textarea>"),
        "what was typed comes back: {page}"
    );
    let owner = room_as(&app, "filter-page", Some(&room.owner_token)).await;
    assert_eq!(
        owner["blocked_words"],
        json!(["bad", "really bad idea"]),
        "nothing lost"
    );
    app.stop().await;
}
