//! The owner's pages: the buttons on each message (room page and owner controls), the list of
//! muted people, and what each form post answers.

use reqwest::StatusCode;
use serde_json::{json, Value};
use time::OffsetDateTime;
use tm_core::event::{Envelope, IngestItem, IngestSource};
use tm_testkit::wait_until_async;

use crate::helpers::{spawn_app, TestApp, TestRoom, PATIENCE};

/// An item from tm-ingest by `author` (and the source's stable `author_id`, if it has one).
fn external_post(
    source: IngestSource,
    author: &str,
    author_id: Option<&str>,
    text: &str,
    room: &TestRoom,
) -> Envelope<IngestItem> {
    Envelope::new(
        "tm-ingest",
        IngestItem {
            source,
            external_id: uuid::Uuid::new_v4().to_string(),
            room_ids: vec![room.id],
            author: author.into(),
            text: text.into(),
            url: format!("https://{}.example/post/{}", source.as_str(), uuid::Uuid::new_v4()),
            posted_at: OffsetDateTime::now_utc(),
            author_id: author_id.map(str::to_owned),
        },
    )
}

async fn publish(app: &TestApp, envelope: &Envelope<IngestItem>) {
    app.bus.publisher().await.unwrap().publish(envelope).await.unwrap();
}

/// The visible messages of `slug`, oldest first.
async fn visible(app: &TestApp, slug: &str) -> Vec<Value> {
    app.messages(slug, "?limit=1000").await["messages"]
        .as_array()
        .unwrap()
        .clone()
}

async fn wait_for_body(app: &TestApp, slug: &str, body: &str) -> u64 {
    wait_until_async(PATIENCE, &format!("{body:?} shown"), || async {
        visible(app, slug).await.iter().any(|m| m["body"] == body)
    })
    .await;
    let messages = visible(app, slug).await;
    let message = messages.iter().find(|m| m["body"] == body).unwrap();
    message["id"].as_u64().unwrap()
}

/// One author of each kind a room can show: the external ones arrive from tm-ingest.
const SOURCES: [(IngestSource, &str, Option<&str>); 3] = [
    (IngestSource::Twitter, "@spammer", None),
    (IngestSource::Mastodon, "spam@bad.social", None),
    (
        IngestSource::Bluesky,
        "troll.bsky.social",
        Some("did:plc:trolltrolltrolltrolltrol"),
    ),
];

/// Issue: the room page's Mute sent an empty participant id (always 422), there was no unmute,
/// and muting the author of a tweet, toot or Bluesky post did nothing. The buttons now act on a
/// message's author, whoever or whatever wrote it, from the room page and the owner controls.
#[tokio::test]
async fn the_owner_mutes_and_unmutes_the_author_of_any_message_from_the_room_page() {
    let app = spawn_app().await;
    let room = app.create_room("mute-any").await;
    let guest = app.join("mute-any", None).await;
    let posted = app
        .post_as(
            &guest,
            "mute-any",
            json!({"nickname": "Troll", "body": "first from the guest"}),
        )
        .await;
    assert_eq!(posted.status(), StatusCode::CREATED);
    let mut targets = vec![wait_for_body(&app, "mute-any", "first from the guest").await];
    for (source, author, author_id) in SOURCES {
        let text = format!("first from {author}");
        publish(&app, &external_post(source, author, author_id, &text, &room)).await;
        targets.push(wait_for_body(&app, "mute-any", &text).await);
    }

    // The room page shows the owner a Mute button per message, naming its author.
    let page = app.owner_page(&room, "/r/mute-any").await.text().await.unwrap();
    for id in &targets {
        let action = format!("action=\"/r/mute-any/owner/messages/{id}/mute?from=room\"");
        assert!(page.contains(&action), "{action} in {page}");
    }
    assert!(page.contains(">Mute @spammer</button>"), "{page}");
    for id in &targets {
        let muted = app
            .owner_form(&room, &format!("/r/mute-any/owner/messages/{id}/mute?from=room"), &[])
            .await;
        assert_eq!(muted.status(), StatusCode::SEE_OTHER, "mute the author of {id}");
        assert_eq!(muted.headers()["location"], "/r/mute-any", "back to the room page");
    }

    // Muted: the guest's posts are refused, the external authors' items skipped; others land.
    let refused = app
        .post_as(&guest, "mute-any", json!({"nickname": "Troll", "body": "still here?"}))
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    for (source, author, author_id) in SOURCES {
        let text = format!("again from {author}");
        publish(&app, &external_post(source, author, author_id, &text, &room)).await;
    }
    let nice = external_post(IngestSource::Mastodon, "nice@good.social", None, "a nice toot", &room);
    publish(&app, &nice).await;
    wait_for_body(&app, "mute-any", "a nice toot").await;
    let bodies: Vec<Value> = visible(&app, "mute-any")
        .await
        .into_iter()
        .map(|m| m["body"].clone())
        .collect();
    assert!(
        !bodies.iter().any(|b| b.as_str().unwrap().starts_with("again from")),
        "muted authors' items are skipped: {bodies:?}"
    );

    // Both pages now offer "Unmute" on those messages, and the controls list the muted.
    let page = app.owner_page(&room, "/r/mute-any").await.text().await.unwrap();
    for id in &targets {
        let action = format!("action=\"/r/mute-any/owner/messages/{id}/unmute?from=room\"");
        assert!(page.contains(&action), "{action} in {page}");
    }
    let controls = app.owner_page(&room, "/r/mute-any/owner").await.text().await.unwrap();
    assert_eq!(controls.matches("<li data-muted>").count(), 4, "{controls}");
    for name in ["Troll", "@spammer", "spam@bad.social", "troll.bsky.social"] {
        assert!(
            controls.contains(&format!(">Unmute {name}</button>")),
            "{name} in {controls}"
        );
    }

    // Unmute from a message (the guest) and from the list (the Twitter author).
    let unmuted = app
        .owner_form(&room, &format!("/r/mute-any/owner/messages/{}/unmute", targets[0]), &[])
        .await;
    assert_eq!(unmuted.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        unmuted.headers()["location"],
        "/r/mute-any/owner",
        "back to the controls"
    );
    let heard = app
        .post_as(&guest, "mute-any", json!({"nickname": "Troll", "body": "sorry"}))
        .await;
    assert_eq!(heard.status(), StatusCode::CREATED, "unmuted");
    let lifted = app
        .owner_form(
            &room,
            "/r/mute-any/owner/unmute",
            &[("participant_id", "twitter:@spammer")],
        )
        .await;
    assert_eq!(lifted.status(), StatusCode::SEE_OTHER);
    publish(
        &app,
        &external_post(IngestSource::Twitter, "@spammer", None, "back on twitter", &room),
    )
    .await;
    wait_for_body(&app, "mute-any", "back on twitter").await;
    let controls = app.owner_page(&room, "/r/mute-any/owner").await.text().await.unwrap();
    assert_eq!(controls.matches("<li data-muted>").count(), 2, "{controls}");

    let audit: Value = app
        .owner(
            reqwest::Method::GET,
            "/api/v1/rooms/mute-any/audit",
            &room.owner_token,
            None,
        )
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
    assert_eq!(actions.iter().filter(|a| **a == "mute").count(), 4, "{audit}");
    assert_eq!(actions.iter().filter(|a| **a == "unmute").count(), 2, "{audit}");
    app.stop().await;
}

#[tokio::test]
async fn muting_needs_the_owner_and_a_message_of_this_room() {
    let app = spawn_app().await;
    let room = app.create_room("mute-guard").await;
    let other = app.create_room("mute-other").await;
    let posted: Value = app
        .post_message("mute-other", "Ada", "in the other room")
        .await
        .json()
        .await
        .unwrap();
    let id = posted["id"].as_u64().unwrap();

    // A message of another room is not this room's to mute.
    let foreign = app
        .owner_form(&room, &format!("/r/mute-guard/owner/messages/{id}/mute"), &[])
        .await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    let page = foreign.text().await.unwrap();
    assert!(page.contains("no such message in this room"), "{page}");

    // Without the owner cookie: the sign-in form, and nobody is muted.
    let anonymous = crate::helpers::page_client()
        .post(app.url(&format!("/r/mute-other/owner/messages/{id}/mute")))
        .form(&[("x", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::FORBIDDEN);
    let controls = app
        .owner_page(&other, "/r/mute-other/owner")
        .await
        .text()
        .await
        .unwrap();
    assert!(controls.contains("Nobody is muted."), "{controls}");
    app.stop().await;
}

/// The `name=value` a response sets for cookie `name`, if it sets one.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

async fn room_state(app: &TestApp, slug: &str) -> Value {
    app.get(&format!("/api/v1/rooms/{slug}")).await.json().await.unwrap()
}

/// Issue: saving the owner's settings showed no confirmation, and an empty slow-mode field got
/// a bare 400. Now: "Settings saved." once, an empty field means off, and a bad value shows the
/// page again with the reason and everything as typed.
#[tokio::test]
async fn saving_settings_says_so_an_empty_slow_mode_is_off_and_bad_input_loses_nothing() {
    let app = spawn_app().await;
    let room = app.create_room("settings-ui").await;
    assert_eq!(
        app.patch_room(&room, json!({"slow_mode_seconds": 30})).await.status(),
        StatusCode::OK
    );
    let form = |slow: &'static str| {
        [
            ("topic", "Week 3: waves"),
            ("hashtags", "physics101 waves"),
            ("slow_mode_seconds", slow),
            ("moderation", "post"),
        ]
    };
    let saved = app.owner_form(&room, "/r/settings-ui/owner/settings", &form("")).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let notice = set_cookie(&saved, "tm_flash_notice").expect("a notice for the next page");
    let stored = room_state(&app, "settings-ui").await;
    assert_eq!(stored["slow_mode_seconds"], 0, "empty = off: {stored}");
    assert_eq!(stored["topic"], "Week 3: waves");
    let page = crate::helpers::page_client()
        .get(app.url("/r/settings-ui/owner"))
        .header("Cookie", format!("{}; {notice}", crate::helpers::owner_cookie(&room)))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        set_cookie(&page, "tm_flash_notice").is_some_and(|c| c == "tm_flash_notice="),
        "shown once: the cookie is removed"
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains("role=\"status\" data-notice>Settings saved.</p>"),
        "{html}"
    );
    let again = app
        .owner_page(&room, "/r/settings-ui/owner")
        .await
        .text()
        .await
        .unwrap();
    assert!(!again.contains("Settings saved."), "not without the cookie");

    for bad in ["abc", "-5", "3601", "1.5"] {
        let refused = app
            .owner_form(
                &room,
                "/r/settings-ui/owner/settings",
                &[
                    ("topic", "A topic I typed"),
                    ("hashtags", "kept"),
                    ("slow_mode_seconds", bad),
                    ("moderation", "approve"),
                ],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let html = refused.text().await.unwrap();
        assert!(
            html.contains("Slow mode is a whole number of seconds from 0 to 3600 (0 or empty = off)."),
            "{bad}: {html}"
        );
        for typed in [
            "value=\"A topic I typed\"",
            "value=\"kept\"",
            &format!("value=\"{bad}\""),
            "<option value=\"approve\" selected>",
        ] {
            assert!(html.contains(typed), "{bad}: {typed} kept in {html}");
        }
    }
    let refused = app
        .owner_form(
            &room,
            "/r/settings-ui/owner/settings",
            &[
                ("topic", "ok"),
                ("hashtags", "not-a-tag!"),
                ("slow_mode_seconds", "5"),
                ("moderation", "post"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains("role=\"alert\">Hashtags are 1 to 100"), "{html}");
    assert!(html.contains("value=\"not-a-tag!\""), "{html}");
    let stored = room_state(&app, "settings-ui").await;
    assert_eq!(stored["topic"], "Week 3: waves", "nothing refused was saved: {stored}");
    app.stop().await;
}

/// Issue: "Close the room" and the admin's close had no confirmation. The page's script asks
/// (browser tests); without it the server asks on a page of its own before closing.
#[tokio::test]
async fn closing_asks_first_and_a_closed_rooms_page_links_its_transcript() {
    let app = spawn_app().await;
    let room = app.create_room("close-ui").await;
    app.post_message("close-ui", "Ada", "said before closing").await;
    let controls = app.owner_page(&room, "/r/close-ui/owner").await.text().await.unwrap();
    assert!(
        controls.contains("action=\"/r/close-ui/owner/close\" data-confirm=\"Close close-ui for good?"),
        "the close form asks through the script: {controls}"
    );

    let asked = app
        .owner_form(&room, "/r/close-ui/owner/close", &[("confirmed", "")])
        .await;
    assert_eq!(asked.status(), StatusCode::OK);
    let question = asked.text().await.unwrap();
    assert!(question.contains("<h1>Close close-ui?</h1>"), "{question}");
    assert!(
        question.contains("<input type=\"hidden\" name=\"confirmed\" value=\"yes\">"),
        "{question}"
    );
    assert!(
        question.contains("href=\"/r/close-ui/owner\""),
        "a way back: {question}"
    );
    assert_eq!(room_state(&app, "close-ui").await["state"], "open", "not closed yet");

    let closed = app
        .owner_form(&room, "/r/close-ui/owner/close", &[("confirmed", "yes")])
        .await;
    assert_eq!(closed.status(), StatusCode::SEE_OTHER);
    assert_eq!(room_state(&app, "close-ui").await["state"], "closed");

    for (path, new_tab) in [
        ("/r/close-ui", false),
        ("/r/close-ui/projector", false),
        ("/r/close-ui/embed", true),
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status(), StatusCode::GONE, "{path}");
        let html = page.text().await.unwrap();
        assert!(html.contains("Its owner closed it."), "{path}: {html}");
        let link = if new_tab {
            "<a href=\"/r/close-ui/transcript\" target=\"_blank\" rel=\"noopener\">Read the transcript</a>"
        } else {
            "<a href=\"/r/close-ui/transcript\">Read the transcript</a>"
        };
        assert!(html.contains(link), "{path}: {html}");
    }
    let transcript = app.get("/r/close-ui/transcript").await;
    assert_eq!(transcript.status(), StatusCode::OK);
    assert!(transcript.text().await.unwrap().contains("said before closing"));
    let controls = app.owner_page(&room, "/r/close-ui/owner").await.text().await.unwrap();
    assert!(
        controls.contains("This room is closed. <a href=\"/r/close-ui/transcript\">"),
        "{controls}"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_admins_close_asks_first_too() {
    let app = spawn_app().await;
    app.create_room("admin-close").await;
    let cookie = crate::site_pages::admin_cookie(&app).await;
    let admin = app
        .client
        .get(app.url("/admin"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    let html = admin.text().await.unwrap();
    assert!(
        html.contains("action=\"/admin/rooms/admin-close/close\" data-confirm=\"Close admin-close for good?"),
        "{html}"
    );
    let close = |confirmed: &'static str| {
        crate::helpers::page_client()
            .post(app.url("/admin/rooms/admin-close/close"))
            .header("Cookie", &cookie)
            .form(&[("confirmed", confirmed)])
            .send()
    };
    let asked = close("").await.unwrap();
    assert_eq!(asked.status(), StatusCode::OK);
    let question = asked.text().await.unwrap();
    assert!(
        question.contains("action=\"/admin/rooms/admin-close/close\""),
        "{question}"
    );
    assert!(question.contains("href=\"/admin\""), "{question}");
    assert_eq!(room_state(&app, "admin-close").await["state"], "open");
    let closed = close("yes").await.unwrap();
    assert_eq!(closed.status(), StatusCode::SEE_OTHER);
    let stored = room_state(&app, "admin-close").await;
    assert_eq!(stored["state"], "closed");
    assert_eq!(stored["close_reason"], "admin");
    app.stop().await;
}

/// The owner page's script asks `GET /r/{slug}/owner/pending` for posts waiting for approval
/// (they have no event); only the owner gets them.
#[tokio::test]
async fn the_owner_page_reads_the_posts_waiting_for_approval() {
    let app = spawn_app().await;
    let room = app.create_room("waiting").await;
    app.patch_room(&room, json!({"moderation": "approve"})).await;
    let controls = app.owner_page(&room, "/r/waiting/owner").await.text().await.unwrap();
    assert!(
        controls.contains("data-pending-url=\"/r/waiting/owner/pending\""),
        "{controls}"
    );
    let posted = app.post_message("waiting", "Ada", "may I?").await;
    assert_eq!(posted.status(), StatusCode::CREATED);
    let pending = app.owner_page(&room, "/r/waiting/owner/pending").await;
    assert_eq!(pending.status(), StatusCode::OK);
    assert_eq!(pending.headers()["cache-control"], "no-store");
    let body: Value = pending.json().await.unwrap();
    assert_eq!(body["messages"][0]["body"], "may I?", "{body}");
    assert_eq!(body["messages"][0]["state"], "pending", "{body}");
    let anonymous = app.get("/r/waiting/owner/pending").await;
    assert_eq!(anonymous.status(), StatusCode::FORBIDDEN);
    assert!(!anonymous.text().await.unwrap().contains("may I?"));
    app.stop().await;
}
