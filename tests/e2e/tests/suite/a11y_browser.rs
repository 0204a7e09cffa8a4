//! Accessibility in real headless Chromium (docs/accessibility.md):
//! * WCAG 2.2 AA on every page, in light and dark mode: axe-core (tests/e2e/src/a11y.rs) runs on
//!   each page of the site with the content that makes it interesting (messages in several
//!   speaker colours, Q&A votes, a pinned and an answered question, a poll, live reactions;
//!   pending messages on the owner page in approve mode), and must find nothing;
//! * keyboard only: create a room, post, upvote and delete as owner with key presses alone;
//! * screen readers hear each new message once and the connection's loss and return once;
//! * the projector: large type, 7:1 contrast, the newest message scrolled into view.

use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::Client;
use serde_json::{json, Value};
use tm_e2e::a11y::{enhanced_contrast_violations, violations};
use tm_e2e::browser::{Browser, BrowserOptions, ColorScheme};
use tm_e2e::system::{System, Topology};

use crate::browser::{post_through_form, wait_for, wait_live};

const SLUG: &str = "a11y-room";

/// A room with something of everything the room, owner and projector pages show.
async fn furnished_room(system: &System) -> String {
    let room = system.create_room(SLUG).await.unwrap();
    let owner_token = room["owner_token"].as_str().unwrap().to_owned();
    let api = format!("{}/api/v1/rooms/{SLUG}", system.cms_url(0));
    let mut ids = vec![];
    // Each post without a token is its own participant: a spread of speaker colours.
    for (nick, body) in [
        ("Ada", "Is the exam open book? See https://example.org/syllabus"),
        ("Grace", "@Ada yes, one page of notes #physics101"),
        ("Linus", "Could you repeat the last slide?"),
        ("Barbara", "What is the reading for next week?"),
        ("Edsger", "Will the slides be online?"),
        ("Margaret", "Thanks, that was clear."),
        ("Alan", "Is there a lab this week?"),
        ("Katherine", "Where is the room for the exam?"),
    ] {
        let posted = system.post_http(SLUG, nick, body).await.unwrap();
        ids.push(posted["id"].as_u64().unwrap());
    }
    let http = &system.http;
    for id in &ids[..3] {
        http.post(format!("{api}/messages/{id}/vote")).send().await.unwrap();
    }
    let patch = |body: Value, id: u64| {
        http.patch(format!("{api}/messages/{id}"))
            .bearer_auth(&owner_token)
            .json(&body)
            .send()
    };
    assert!(patch(json!({"pinned": true}), ids[2])
        .await
        .unwrap()
        .status()
        .is_success());
    assert!(patch(json!({"answered": true}), ids[0])
        .await
        .unwrap()
        .status()
        .is_success());
    let poll = http
        .post(format!("{api}/polls"))
        .bearer_auth(&owner_token)
        .json(&json!({"question": "Which topic next?", "options": ["Optics", "Waves", "Heat"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(poll.status().as_u16(), 201, "{}", poll.text().await.unwrap());
    // Approve mode, and two posts waiting for the owner.
    let moderation = http
        .patch(&api)
        .bearer_auth(&owner_token)
        .json(&json!({"moderation": "approve"}))
        .send()
        .await
        .unwrap();
    assert!(moderation.status().is_success(), "{}", moderation.text().await.unwrap());
    for (nick, body) in [("Guest", "please approve me"), ("Other", "and me too")] {
        system.post_http(SLUG, nick, body).await.unwrap();
    }
    owner_token
}

async fn check_every_page(scheme: ColorScheme) {
    let system = System::start(Topology::default()).await.unwrap();
    let owner_token = furnished_room(&system).await;
    let base = system.cms_url(0);
    let http = &system.http;
    // A password room, a closed room, a co-moderator and an admin with a static page to edit.
    http.post(format!("{base}/api/v1/rooms"))
        .json(&json!({"name": "a11y-locked", "lifetime": "1d", "password": "hunter2"}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let closed = system.create_room("a11y-closed").await.unwrap();
    http.post(format!("{base}/api/v1/rooms/a11y-closed/close"))
        .bearer_auth(closed["owner_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let moderator: Value = http
        .post(format!("{base}/api/v1/rooms/{SLUG}/moderators"))
        .bearer_auth(&owner_token)
        .json(&json!({"label": "Ada"}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    crate::admin_cli::create_admin(&system, "grace", "correct horse battery staple");

    let browser = Browser::start(BrowserOptions {
        color_scheme: scheme,
        ..Default::default()
    })
    .await
    .unwrap();
    let client = &browser.client;
    let mut report = String::new();
    let mut check = async |name: &str, path: &str, ready: Option<&str>| {
        client.goto(&format!("{base}{path}")).await.unwrap();
        if let Some(script) = ready {
            wait_for(client, name, script).await;
        }
        for v in violations(client).await.unwrap() {
            report.push_str(&format!("[{name}] {v}"));
        }
    };
    let live = Some(
        "return document.querySelector('[data-connection]')?.dataset.kind === 'live'
                && !document.querySelector('[data-reactions]').hidden",
    );
    check("home", "/", None).await;
    check("static page", "/p/about", None).await;
    check("help page", "/p/help", None).await;
    check("source page", "/source", None).await;
    check("error page", "/r/no-such-room", None).await;
    check("password page", "/r/a11y-locked", None).await;
    check("closed room", "/r/a11y-closed", None).await;
    check("room", &format!("/r/{SLUG}"), live).await;
    check("projector", &format!("/r/{SLUG}/projector"), None).await;
    check("embed", &format!("/r/{SLUG}/embed"), None).await;
    check("transcript", &format!("/r/{SLUG}/transcript"), None).await;
    check("owner sign-in", "/r/a11y-locked/owner", None).await;
    check(
        "owner",
        &format!("/r/{SLUG}/owner#{owner_token}"),
        Some("return location.hash === '' && document.querySelectorAll('li.message').length > 0"),
    )
    .await;
    check("room as owner", &format!("/r/{SLUG}"), live).await;
    check(
        "moderator",
        moderator["link"].as_str().unwrap().strip_prefix(&base).unwrap(),
        Some("return location.hash === '' && document.querySelectorAll('li.message').length > 0"),
    )
    .await;
    check("admin sign-in", "/admin", None).await;
    crate::admin_cli::sign_in(client, "grace", "correct horse battery staple").await;
    check("admin", "/admin", None).await;
    check("admin page edit", "/admin/pages/about", None).await;
    browser.close().await.unwrap();
    system.shutdown().await.unwrap();
    assert!(
        report.is_empty(),
        "axe-core violations ({}):\n{report}",
        scheme.as_css()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_axe_in_light_mode() {
    check_every_page(ColorScheme::Light).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_axe_in_dark_mode() {
    check_every_page(ColorScheme::Dark).await;
}

/// Presses and releases each key in turn (WebDriver actions: what a keyboard sends).
async fn press(client: &Client, keys: &[char]) {
    let mut actions = KeyActions::new("keyboard".into());
    for &key in keys {
        actions = actions
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
    }
    client.perform_actions(actions).await.unwrap();
}

async fn type_text(client: &Client, text: &str) {
    press(client, &text.chars().collect::<Vec<_>>()).await;
}

/// Presses Tab until the focused element matches `css` (at most 80 times), and checks it shows
/// a focus indicator.
async fn tab_to(client: &Client, css: &str) {
    let script = "const [css] = arguments; const a = document.activeElement; \
        return a && a.matches(css) ? getComputedStyle(a).outlineStyle + ' ' + getComputedStyle(a).outlineWidth : false";
    for _ in 0..80 {
        press(client, &[Key::Tab.into()]).await;
        let focused = client.execute(script, vec![json!(css)]).await.unwrap();
        if let Some(outline) = focused.as_str() {
            assert!(
                !outline.starts_with("none") && !outline.ends_with(" 0px"),
                "{css} has no visible focus indicator: {outline}"
            );
            return;
        }
    }
    panic!("Tab never reached {css}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_only_create_post_upvote_and_delete_as_owner() {
    let system = System::start(Topology::default()).await.unwrap();
    let browser = Browser::start(BrowserOptions::default()).await.unwrap();
    let client = &browser.client;
    client.goto(&format!("{}/", system.cms_url(0))).await.unwrap();

    // The skip link comes first, shows when focused, and moves focus to the main content.
    press(client, &[Key::Tab.into()]).await;
    let skip = client
        .execute(
            "const a = document.activeElement; const r = a.getBoundingClientRect(); \
             return a.matches('a.skip-link') && r.top >= 0 && r.height > 0",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(skip, json!(true), "the first Tab lands on a visible skip link");
    press(client, &[Key::Enter.into()]).await;
    wait_for(client, "focus in main", "return document.activeElement?.id === 'main'").await;

    tab_to(client, "form[action='/rooms'] input[name=name]").await;
    type_text(client, "keyboard-room").await;
    tab_to(client, "form[action='/rooms'] button[type=submit]").await;
    press(client, &[Key::Enter.into()]).await;
    wait_for(
        client,
        "the new room",
        "return location.pathname === '/r/keyboard-room'",
    )
    .await;
    wait_live(client).await;

    tab_to(client, "form[data-post-form] input[name=nickname]").await;
    type_text(client, "Keys").await;
    press(client, &[Key::Tab.into()]).await;
    type_text(client, "typed, never clicked").await;
    // Back to the nickname and forth again: Shift+Tab works as well.
    let shift: char = Key::Shift.into();
    let tab: char = Key::Tab.into();
    client
        .perform_actions(
            KeyActions::new("keyboard".into())
                .then(KeyAction::Down { value: shift })
                .then(KeyAction::Down { value: tab })
                .then(KeyAction::Up { value: tab })
                .then(KeyAction::Up { value: shift }),
        )
        .await
        .unwrap();
    wait_for(
        client,
        "Shift+Tab back on the nickname",
        "return document.activeElement.name === 'nickname'",
    )
    .await;
    tab_to(client, "form[data-post-form] button[type=submit]").await;
    press(client, &[Key::Enter.into()]).await;
    let id = wait_for(
        client,
        "the post confirmed",
        "const li = [...document.querySelectorAll('li.message:not(.pending)')]
             .find(li => li.querySelector('.body').textContent === 'typed, never clicked');
         return li ? li.id : false",
    )
    .await;
    let id = id.as_str().unwrap().to_owned();

    tab_to(client, &format!("#{id} button.vote:not([disabled])")).await;
    press(client, &[' ']).await;
    wait_for(
        client,
        "the upvote counted",
        &format!(
            "const b = document.querySelector('#{id} button.vote'); \
             return b.getAttribute('aria-pressed') === 'true' && b.querySelector('[data-votes]').textContent === '1'"
        ),
    )
    .await;

    // The owner's delete button names the message it deletes.
    tab_to(client, &format!("#{id} form[action*='/delete'] button")).await;
    let name = client
        .execute("return document.activeElement.getAttribute('aria-label')", vec![])
        .await
        .unwrap();
    assert_eq!(name, json!("Delete Keys: typed, never clicked"));
    press(client, &[Key::Enter.into()]).await;
    wait_for(
        client,
        "the message deleted",
        &format!("return document.readyState === 'complete' && location.pathname === '/r/keyboard-room' && !document.getElementById('{id}')"),
    )
    .await;
    let stored = system
        .db
        .count("SELECT COUNT(*) FROM messages WHERE state <> 'deleted'")
        .unwrap();
    assert_eq!(stored, 0, "deleted in the database too");
    browser.close().await.unwrap();
    system.shutdown().await.unwrap();
}

/// What the page's live region has said, in order (recorded from the start of the call).
const RECORD_ANNOUNCEMENTS: &str = "window.heard = []; \
    new MutationObserver(ms => ms.forEach(m => m.addedNodes.forEach(n => window.heard.push(n.textContent)))) \
        .observe(document.querySelector('[data-announcer]'), { childList: true }); return true";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screen_readers_hear_each_message_once_and_not_every_reconnect() {
    let mut system = System::start(Topology::default()).await.unwrap();
    let slug = "a11y-announce";
    system.create_room(slug).await.unwrap();
    let browser = Browser::start(BrowserOptions::default()).await.unwrap();
    let client = &browser.client;
    client.goto(&format!("{}/r/{slug}", system.cms_url(0))).await.unwrap();
    wait_live(client).await;
    let live_regions = client
        .execute(
            "return [document.querySelector('[data-messages]').closest('[aria-live], [role=log], [role=status]'),
                     document.querySelector('[data-connection]').closest('[aria-live], [role=log], [role=status]')]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        live_regions,
        json!([null, null]),
        "the list (it re-sorts) and the status line are not live regions"
    );
    client.execute(RECORD_ANNOUNCEMENTS, vec![]).await.unwrap();

    post_through_form(client, "Me", "my own post").await;
    wait_for(
        client,
        "own post confirmed",
        "return document.querySelectorAll('li.message').length === 1 && !document.querySelector('li.message.pending')",
    )
    .await;
    system.post_http(slug, "Ada", "from someone else").await.unwrap();
    wait_for(client, "the other post", "return window.heard.length === 2").await;

    // The gateway goes away for a few reconnect attempts, then comes back.
    system.gateways[0].kill().await.unwrap();
    wait_for(
        client,
        "reconnecting",
        "return document.querySelector('[data-connection]').dataset.kind !== 'live'",
    )
    .await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    system.gateways[0].start().await.unwrap();
    wait_live(client).await;
    system.post_http(slug, "Grace", "after the return").await.unwrap();
    wait_for(client, "the last post", "return window.heard.length >= 5").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let heard = client.execute("return window.heard", vec![]).await.unwrap();
    assert_eq!(
        heard,
        json!([
            "Me: my own post",
            "Ada: from someone else",
            "reconnecting…",
            "live",
            "Grace: after the return"
        ])
    );
    browser.close().await.unwrap();
    system.shutdown().await.unwrap();
}

/// Posts through the API, waiting out the production posting limit (a burst of 10, then one
/// every 2 s per participant; posts without a token here all count as the test's).
async fn post_within_rate_limit(system: &System, slug: &str, nickname: &str, body: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        match system.post_http(slug, nickname, body).await {
            Ok(_) => return,
            Err(error) if error.to_string().contains("429") && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(error) => panic!("{error}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_projector_is_large_high_contrast_and_scrolls_to_the_newest_message() {
    let system = System::start(Topology::default()).await.unwrap();
    let slug = "a11y-projector";
    system.create_room(slug).await.unwrap();
    for n in 0..12 {
        post_within_rate_limit(&system, slug, &format!("Speaker{n}"), &format!("question number {n}")).await;
    }
    let browser = Browser::start(BrowserOptions {
        width: 1280,
        height: 720,
        ..Default::default()
    })
    .await
    .unwrap();
    let client = &browser.client;
    client
        .goto(&format!("{}/r/{slug}/projector", system.cms_url(0)))
        .await
        .unwrap();
    let in_view = "const [body] = arguments; \
        const li = [...document.querySelectorAll('li.message')].find(li => li.querySelector('.body').textContent === body); \
        if (!li) return false; const r = li.getBoundingClientRect(); \
        return r.top >= 0 && r.bottom <= innerHeight + 1";
    let newest_visible = client
        .execute(in_view, vec![json!("question number 11")])
        .await
        .unwrap();
    assert_eq!(newest_visible, json!(true), "the projector opens at the newest message");
    let oldest_visible = client.execute(in_view, vec![json!("question number 0")]).await.unwrap();
    assert_eq!(
        oldest_visible,
        json!(false),
        "more messages than fit: the test needs a scroll"
    );

    let sizes = client
        .execute(
            "return { message: parseFloat(getComputedStyle(document.querySelector('li.message .body')).fontSize),
                      qr: document.querySelector('[data-qr] svg').getBoundingClientRect().width }",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        sizes["message"].as_f64().unwrap() >= 24.0,
        "messages in large type: {sizes}"
    );
    assert!(sizes["qr"].as_f64().unwrap() >= 250.0, "a large QR code: {sizes}");
    let low_contrast = enhanced_contrast_violations(client).await.unwrap();
    assert!(
        low_contrast.is_empty(),
        "the projector reaches 7:1: {}",
        low_contrast.iter().map(|v| v.to_string()).collect::<String>()
    );

    post_within_rate_limit(&system, slug, "Late", "the newest one").await;
    let script = in_view.replace("const [body] = arguments;", "const body = 'the newest one';");
    wait_for(client, "the new message scrolled into view", &script).await;
    browser.close().await.unwrap();
    system.shutdown().await.unwrap();
}
