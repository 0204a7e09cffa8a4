//! Posting over HTTP, listing messages and replaying events.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, spawn_app_with, Options};

#[tokio::test]
async fn a_post_is_stored_parsed_coloured_and_logged_as_an_event() {
    let app = spawn_app().await;
    let room = app.create_room("physics").await;

    let response = app
        .post_message("physics", " Ada ", "Hi @bob, see https://example.org #waves")
        .await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let message: Value = response.json().await.unwrap();
    assert_eq!(message["seq"], 1);
    assert_eq!(message["room"], "physics");
    assert_eq!(message["nickname"], "Ada");
    assert_eq!(message["kind"], "post");
    assert_eq!(message["state"], "visible");
    assert!(message["color"].as_str().unwrap().starts_with('#'));
    assert_eq!(
        message["tokens"],
        json!([
            {"type": "text", "text": "Hi "},
            {"type": "mention", "nickname": "bob"},
            {"type": "text", "text": ", see "},
            {"type": "url", "url": "https://example.org"},
            {"type": "text", "text": " "},
            {"type": "hashtag", "tag": "waves"},
        ])
    );
    let listed = app.messages("physics", "").await;
    assert_eq!(listed["seq"], 1);
    assert_eq!(listed["messages"][0]["id"], message["id"]);
    let events = app.events("physics", "?after=0").await;
    assert_eq!(events["events"][0]["event"], "message.created");
    assert_eq!(events["events"][0]["seq"], 1);
    assert_eq!(events["events"][0]["data"]["body"], message["body"]);
    assert_eq!(events["events"][0]["data"]["room_id"], room.id);
    app.stop().await;
}

#[tokio::test]
async fn posting_enforces_body_and_nickname_rules() {
    let app = spawn_app().await;
    app.create_room_from(json!({"name": "short", "lifetime": "2h", "max_length": 10}))
        .await;
    let cases = [
        ("Ada", "x".repeat(11), StatusCode::UNPROCESSABLE_ENTITY, "body_too_long"),
        ("Ada", "   ".to_owned(), StatusCode::UNPROCESSABLE_ENTITY, "body_empty"),
        (
            "Ada",
            "a\u{202E}b".to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "",
            "hello".to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_nickname",
        ),
        (
            &"n".repeat(33),
            "hello".to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_nickname",
        ),
    ];
    for (nickname, body, status, code) in cases {
        let response = app.post_message("short", nickname, &body).await;
        assert_eq!(response.status(), status, "{nickname:?} {body:?}");
        assert_eq!(error_code(response).await, code);
    }
    assert_eq!(
        app.post_message("short", "Ada", &"x".repeat(10)).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.post_message("nowhere", "Ada", "hi").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.messages("short", "").await["messages"].as_array().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn paused_rooms_answer_423_and_closed_rooms_410() {
    let app = spawn_app().await;
    let room = app.create_room("quiet").await;

    app.patch_room(&room, json!({"state": "paused"})).await;
    let paused = app.post_message("quiet", "Ada", "hello").await;
    assert_eq!(paused.status(), StatusCode::LOCKED);
    assert_eq!(error_code(paused).await, "room_paused");

    app.patch_room(&room, json!({"state": "open"})).await;
    assert_eq!(
        app.post_message("quiet", "Ada", "hello").await.status(),
        StatusCode::CREATED
    );

    app.owner(
        reqwest::Method::POST,
        "/api/v1/rooms/quiet/close",
        &room.owner_token,
        None,
    )
    .await;
    let closed = app.post_message("quiet", "Ada", "hello").await;
    assert_eq!(closed.status(), StatusCode::GONE);
    assert_eq!(error_code(closed).await, "room_closed");
    app.stop().await;
}

#[tokio::test]
async fn slow_mode_holds_back_a_participant_but_not_others() {
    let app = spawn_app().await;
    let room = app.create_room("slow").await;
    app.patch_room(&room, json!({"slow_mode_seconds": 60})).await;
    let (a, b) = (app.join("slow", None).await, app.join("slow", None).await);

    let first = app.post_as(&a, "slow", json!({"nickname": "A", "body": "one"})).await;
    let second = app.post_as(&a, "slow", json!({"nickname": "A", "body": "two"})).await;
    let other = app.post_as(&b, "slow", json!({"nickname": "B", "body": "hi"})).await;

    assert_eq!(first.status(), StatusCode::CREATED);
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = second.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(error_code(second).await, "slow_down");
    assert_eq!(other.status(), StatusCode::CREATED);
    app.stop().await;
}

#[tokio::test]
async fn the_per_participant_rate_limit_answers_slow_down() {
    let app = spawn_app_with(Options {
        tweak: Some(Box::new(|s| {
            s.posting.per_minute = 1;
            s.posting.burst = 3;
        })),
        ..Options::default()
    })
    .await;
    app.create_room("busy").await;

    let mut statuses = Vec::new();
    for i in 0..4 {
        statuses.push(app.post_message("busy", "Ada", &format!("m{i}")).await.status());
    }

    assert_eq!(&statuses[..3], &[StatusCode::CREATED; 3]);
    assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}

#[tokio::test]
async fn a_resent_post_with_the_same_client_id_is_stored_once() {
    let app = spawn_app().await;
    app.create_room("resend").await;
    let body = json!({"nickname": "Ada", "body": "only once", "client_id": "0193c6a4-7c4e-7d2a-9f1e-2b3c4d5e6f70"});

    let first: Value = app
        .post_json("/api/v1/rooms/resend/messages", &body)
        .await
        .json()
        .await
        .unwrap();
    let again = app.post_json("/api/v1/rooms/resend/messages", &body).await;

    assert_eq!(again.status(), StatusCode::CREATED);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["client_id"], "0193c6a4-7c4e-7d2a-9f1e-2b3c4d5e6f70");
    let listed = app.messages("resend", "").await;
    assert_eq!(listed["messages"].as_array().unwrap().len(), 1);
    assert_eq!(listed["seq"], 1);
    app.stop().await;
}

#[tokio::test]
async fn messages_and_events_page_by_seq() {
    let app = spawn_app().await;
    app.create_room("pages").await;
    for i in 1..=5 {
        app.post_message("pages", "Ada", &format!("message {i}")).await;
    }

    let page = app.messages("pages", "?after=2&limit=2").await;
    let bodies: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["message 3", "message 4"]);
    assert_eq!(page["seq"], 5);

    let events = app.events("pages", "?after=3").await;
    let seqs: Vec<u64> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [4, 5]);
    assert_eq!(events["events"][1]["data"]["body"], "message 5");

    let capped = app.messages("pages", "?limit=100000").await;
    assert_eq!(capped["messages"].as_array().unwrap().len(), 5);
    app.stop().await;
}

#[tokio::test]
async fn the_same_participant_keeps_the_same_colour() {
    let app = spawn_app().await;
    app.create_room("colours").await;
    let c = app.join("colours", None).await;
    let mut colours = Vec::new();
    for body in ["one", "two"] {
        let message: Value = app
            .post_as(&c, "colours", json!({"nickname": "C", "body": body}))
            .await
            .json()
            .await
            .unwrap();
        colours.push(message["color"].as_str().unwrap().to_owned());
    }
    assert_eq!(colours[0], colours[1]);
    app.stop().await;
}

/// Nine posts (the fifth too long) sent together while the test holds the room's row locked,
/// so they queue up; returns how many posts the CMS stored in batches.
async fn nine_posts_behind_a_lock(app: &crate::helpers::TestApp) -> f64 {
    use diesel_async::SimpleAsyncConnection;
    let room = app.create_room("together").await;
    let mut holder = app.db().await;
    holder
        .batch_execute(&format!(
            "BEGIN; SELECT id FROM rooms WHERE id = {} FOR UPDATE",
            room.id
        ))
        .await
        .unwrap();

    let posts = (0..9).map(|i| {
        let body = if i == 4 {
            "x".repeat(281)
        } else {
            format!("together {i}")
        };
        async move { app.post_message("together", &format!("poster{i}"), &body).await }
    });
    let answers = async {
        let mut out = Vec::new();
        for answer in futures_util::future::join_all(posts).await {
            let status = answer.status();
            let body: Value = answer.json().await.unwrap();
            out.push((status, body));
        }
        out
    };
    let release = async {
        // Long enough for every request to reach the writers' queue behind the lock.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        holder.batch_execute("COMMIT").await.unwrap();
    };
    let (answers, ()) = tokio::join!(answers, release);

    let mut seqs = Vec::new();
    for (i, (status, body)) in answers.iter().enumerate() {
        if i == 4 {
            assert_eq!(*status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(body["error"]["code"], "body_too_long", "{body}");
        } else {
            assert_eq!(*status, StatusCode::CREATED, "{body}");
            assert_eq!(body["body"], format!("together {i}"));
            seqs.push(body["seq"].as_u64().unwrap());
        }
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=8).collect::<Vec<u64>>(), "gap-free, each once");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    metrics
        .lines()
        .find_map(|line| {
            line.strip_prefix("tm_cms_batched_posts_total ")?
                .trim()
                .parse::<f64>()
                .ok()
        })
        .unwrap_or(0.0)
}

/// Issue 18 (group commit over HTTP): posts that reach the CMS together are stored in one
/// transaction and each gets the answer it would get alone: 201 with its message, in order
/// with gap-free seq, or its own refusal (422 for a body too long) without holding up the
/// others.
#[tokio::test]
async fn posts_arriving_together_are_stored_together_each_with_its_own_answer() {
    let app = spawn_app().await;
    let batched = nine_posts_behind_a_lock(&app).await;
    assert!(
        batched >= 2.0,
        "posts that waited together were stored together: {batched}"
    );
    app.stop().await;
}

/// `posting.group_commit = false`: the same answers, each post in a transaction of its own.
#[tokio::test]
async fn without_group_commit_each_http_post_is_stored_alone_with_the_same_answers() {
    let app = spawn_app_with(Options {
        tweak: Some(Box::new(|s| s.posting.group_commit = false)),
        ..Options::default()
    })
    .await;
    assert_eq!(nine_posts_behind_a_lock(&app).await, 0.0, "nothing was batched");
    app.stop().await;
}
