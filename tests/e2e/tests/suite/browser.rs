//! The web UI in a real headless Chromium: create, post without JavaScript, live between two
//! browsers, owner delete and pause, reconnect after a gateway restart, projector QR code,
//! transcript downloads, and XSS payloads that must stay text.

use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::Value;
use tm_e2e::browser::{Browser, BrowserOptions, ColorScheme};
use tm_e2e::system::{System, Topology};

pub(crate) const WAIT: Duration = Duration::from_secs(30);

pub(crate) async fn wait_for(client: &Client, what: &str, script: &str) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let value = client.execute(script, vec![]).await.unwrap();
        if value.as_bool() != Some(false) && !value.is_null() {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) async fn wait_live(client: &Client) {
    wait_for(
        client,
        "live connection",
        "return document.querySelector('[data-connection]')?.dataset.kind === 'live'",
    )
    .await;
}

pub(crate) async fn message_bodies(client: &Client) -> Vec<String> {
    let value = client
        .execute(
            "return [...document.querySelectorAll('li.message .body')].map(e => e.textContent)",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(value).unwrap()
}

/// Writes the page as `target/screenshots/<name>.png` (`make screenshots`).
pub(crate) async fn save_screenshot(client: &Client, name: &str) {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name} is a PNG");
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

pub(crate) async fn fill(client: &Client, css: &str, text: &str) {
    let field = client.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

pub(crate) async fn click(client: &Client, css: &str) {
    client.find(Locator::Css(css)).await.unwrap().click().await.unwrap();
}

/// Creates a room through the home page form; this browser becomes its owner.
pub(crate) async fn create_through_form(client: &Client, system: &System, slug: &str) {
    client.goto(&format!("{}/", system.cms_url(0))).await.unwrap();
    fill(client, "input[name=name]", slug).await;
    fill(client, "input[name=topic]", "Browser test").await;
    click(client, "form[action='/rooms'] button[type=submit]").await;
    wait_for(
        client,
        "the room page",
        &format!("return location.pathname === '/r/{slug}'"),
    )
    .await;
}

pub(crate) async fn post_through_form(client: &Client, nickname: &str, body: &str) {
    fill(client, "form[data-post-form] input[name=nickname]", nickname).await;
    fill(client, "form[data-post-form] textarea[name=body]", body).await;
    click(client, "form[data-post-form] button[type=submit]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_a_room_and_land_in_it_with_the_owner_link() {
    let system = System::start(Topology::default()).await.unwrap();
    let browser = Browser::start(BrowserOptions::default()).await.unwrap();
    create_through_form(&browser.client, &system, "browser-create").await;
    let link = browser
        .client
        .find(Locator::Css(".owner-link"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        link.contains("/r/browser-create/owner#") && !link.contains('?'),
        "owner link shown once: {link}"
    );
    browser.client.refresh().await.unwrap();
    let again = browser.client.find_all(Locator::Css(".owner-link")).await.unwrap();
    assert!(again.is_empty(), "the owner link is shown only once");
    let topic = browser
        .client
        .find(Locator::Css("[data-topic]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(topic, "Browser test");
    browser.close().await.unwrap();
    system.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_with_javascript_disabled() {
    let system = System::start(Topology::default()).await.unwrap();
    system.create_room("browser-nojs").await.unwrap();
    let browser = Browser::start(BrowserOptions {
        javascript: false,
        ..Default::default()
    })
    .await
    .unwrap();
    let client = &browser.client;
    client
        .goto(&format!("{}/r/browser-nojs", system.cms_url(0)))
        .await
        .unwrap();
    post_through_form(client, "Plain", "no scripts needed").await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let bodies: Vec<String> = futures_util::future::join_all(
            client
                .find_all(Locator::Css("li.message .body"))
                .await
                .unwrap()
                .into_iter()
                .map(|e| async move { e.text().await.unwrap() }),
        )
        .await;
        if bodies == ["no scripts needed"] {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "message not shown after the form post: {bodies:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let url = client.current_url().await.unwrap();
    assert_eq!(url.path(), "/r/browser-nojs", "redirected back to the room");
    let status = client
        .find(Locator::Css("[data-connection]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(status.contains("not live"), "no script ran: {status}");
    browser.close().await.unwrap();
    system.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_browsers_live_post_owner_delete_and_pause() {
    let system = System::start(Topology::default()).await.unwrap();
    let owner = Browser::start(BrowserOptions::default()).await.unwrap();
    let guest = Browser::start(BrowserOptions::default()).await.unwrap();
    create_through_form(&owner.client, &system, "browser-live").await;
    guest
        .client
        .goto(&format!("{}/r/browser-live", system.cms_url(0)))
        .await
        .unwrap();
    wait_live(&owner.client).await;
    wait_live(&guest.client).await;

    post_through_form(&owner.client, "Owner", "hello from the owner").await;
    wait_for(
        &guest.client,
        "the post live",
        "return [...document.querySelectorAll('li.message .body')].some(e => e.textContent === 'hello from the owner')",
    )
    .await;
    post_through_form(&guest.client, "Guest", "hello back").await;
    wait_for(
        &owner.client,
        "the reply live",
        "return [...document.querySelectorAll('li.message .body')].some(e => e.textContent === 'hello back')",
    )
    .await;
    wait_for(
        &owner.client,
        "own post confirmed",
        "return document.querySelectorAll('li.message.pending').length === 0",
    )
    .await;

    // The owner deletes the guest's message from the owner controls.
    owner
        .client
        .goto(&format!("{}/r/browser-live/owner", system.cms_url(0)))
        .await
        .unwrap();
    let rows = owner.client.find_all(Locator::Css("li.message")).await.unwrap();
    let mut deleted = false;
    for row in rows {
        if row.text().await.unwrap().contains("hello back") {
            row.find(Locator::Css("form[action$='/delete'] button"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            deleted = true;
            break;
        }
    }
    assert!(deleted, "the owner page lists the message with a delete button");
    wait_for(
        &guest.client,
        "the deletion live",
        "return ![...document.querySelectorAll('li.message .body')].some(e => e.textContent === 'hello back')",
    )
    .await;
    assert_eq!(
        message_bodies(&guest.client).await,
        vec!["hello from the owner".to_owned()]
    );

    owner
        .client
        .goto(&format!("{}/r/browser-live/owner", system.cms_url(0)))
        .await
        .unwrap();
    click(&owner.client, "form[action$='/owner/pause'] button").await;
    wait_for(
        &guest.client,
        "the paused state live",
        "const n = document.querySelector('[data-room-state]'); return !n.hidden && n.textContent.includes('paused')",
    )
    .await;
    owner.close().await.unwrap();
    guest.close().await.unwrap();
    system.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_after_gateway_restart_without_missing_a_message() {
    let mut system = System::start(Topology::default()).await.unwrap();
    system.create_room("browser-reconnect").await.unwrap();
    let browser = Browser::start(BrowserOptions::default()).await.unwrap();
    let client = &browser.client;
    client
        .goto(&format!("{}/r/browser-reconnect", system.cms_url(0)))
        .await
        .unwrap();
    wait_live(client).await;
    system
        .post_http("browser-reconnect", "api", "before restart")
        .await
        .unwrap();
    wait_for(
        client,
        "first message",
        "return document.querySelectorAll('li.message').length === 1",
    )
    .await;
    system.gateways[0].kill().await.unwrap();
    wait_for(
        client,
        "reconnecting state",
        "return document.querySelector('[data-connection]').dataset.kind !== 'live'",
    )
    .await;
    for n in 0..3 {
        system
            .post_http("browser-reconnect", "api", &format!("while away {n}"))
            .await
            .unwrap();
    }
    system.gateways[0].start().await.unwrap();
    wait_live(client).await;
    system
        .post_http("browser-reconnect", "api", "after restart")
        .await
        .unwrap();
    wait_for(
        client,
        "all five messages",
        "return document.querySelectorAll('li.message').length === 5",
    )
    .await;
    let mut bodies = message_bodies(client).await;
    bodies.reverse(); // newest first on the page
    assert_eq!(
        bodies,
        [
            "before restart",
            "while away 0",
            "while away 1",
            "while away 2",
            "after restart"
        ]
    );
    browser.close().await.unwrap();
    system.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projector_shows_the_qr_code_and_transcript_downloads_parse() {
    let system = System::start(Topology::default()).await.unwrap();
    system.create_room("browser-projector").await.unwrap();
    let bodies = [
        "plain",
        "with, comma",
        "with \"quotes\"\nand a line break",
        "=1+1 looks like a formula",
    ];
    for body in bodies {
        system.post_http("browser-projector", "Ada", body).await.unwrap();
    }
    let browser = Browser::start(BrowserOptions::default()).await.unwrap();
    browser
        .client
        .goto(&format!("{}/r/browser-projector/projector", system.cms_url(0)))
        .await
        .unwrap();
    let svg = browser.client.find(Locator::Css("[data-qr] svg")).await.unwrap();
    let size = svg.rectangle().await.unwrap();
    assert!(
        size.2 >= 100.0 && size.3 >= 100.0,
        "QR code rendered at a readable size: {size:?}"
    );
    let join = browser
        .client
        .find(Locator::Css(".join strong"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(join.ends_with("/r/browser-projector"), "{join}");
    browser.close().await.unwrap();

    let base = format!("{}/r/browser-projector/transcript", system.cms_url(0));
    let json: Value = system
        .http
        .get(format!("{base}.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let got: Vec<&str> = json["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(got, bodies);
    let csv = system
        .http
        .get(format!("{base}.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rows = parse_csv(&csv);
    assert_eq!(rows[0], ["seq", "created_at", "nickname", "kind", "body", "source_url"]);
    let csv_bodies: Vec<&str> = rows[1..].iter().map(|r| r[4].as_str()).collect();
    assert_eq!(
        csv_bodies,
        [
            "plain",
            "with, comma",
            "with \"quotes\"\nand a line break",
            "'=1+1 looks like a formula"
        ]
    );
    let txt = system
        .http
        .get(format!("{base}.txt"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(txt.contains("Ada: plain") && txt.contains("Ada: with, comma"), "{txt}");
    system.shutdown().await.unwrap();
}

/// A small RFC 4180 reader, independent of the writer it checks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = vec![];
    let mut row = vec![];
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut cell)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => cell.push(c),
        }
    }
    rows
}

const XSS: &[&str] = &[
    "<script>document.title='pwned'</script>",
    "<img src=x onerror=\"document.title='pwned'\">",
    "<svg onload=\"document.title='pwned'\"><circle r=5></svg>",
    "javascript:document.title='pwned'",
    "\"><script>document.title='pwned'</script>",
    "<a href=\"javascript:document.title='pwned'\">click</a>",
    "<b><i>broken <u markup",
    "</textarea><script>document.title='pwned'</script>",
    "https://example.org/\"onmouseover=\"document.title='pwned'",
];

async fn assert_inert(client: &Client, expected_title_prefix: &str) {
    let title = client.title().await.unwrap();
    assert!(
        title.starts_with(expected_title_prefix),
        "title changed by a payload: {title}"
    );
    let injected = client
        .execute(
            "return document.querySelectorAll('li.message img, li.message svg, li.message script, li.message iframe, [data-topic] *, li.message a[href^=\"javascript\"]').length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(injected, serde_json::json!(0), "markup from user text reached the DOM");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xss_payloads_are_shown_as_text_and_execute_nothing() {
    let system = System::start(Topology::default()).await.unwrap();
    let slug = "browser-xss";
    let created: Value = system
        .http
        .post(format!("{}/api/v1/rooms", system.cms_url(0)))
        .json(&serde_json::json!({"name": slug, "lifetime": "2h", "topic": XSS[1]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["topic"], XSS[1]);
    let live = Browser::start(BrowserOptions::default()).await.unwrap();
    live.client
        .goto(&format!("{}/r/{slug}", system.cms_url(0)))
        .await
        .unwrap();
    wait_live(&live.client).await;
    for (i, payload) in XSS.iter().enumerate() {
        let nickname: String = payload.chars().take(32).collect();
        system.post_http(slug, &nickname, payload).await.unwrap();
        let _ = i;
    }
    // Rendered by the live module (textContent) ...
    wait_for(
        &live.client,
        "payloads live",
        &format!(
            "return document.querySelectorAll('li.message').length === {}",
            XSS.len()
        ),
    )
    .await;
    let mut bodies = message_bodies(&live.client).await;
    bodies.reverse();
    assert_eq!(bodies, XSS.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_inert(&live.client, slug).await;
    // ... and by the server's templates.
    live.client.refresh().await.unwrap();
    let mut bodies = message_bodies(&live.client).await;
    bodies.reverse();
    assert_eq!(bodies, XSS.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    let topic = live
        .client
        .find(Locator::Css("[data-topic]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(topic, XSS[1]);
    let nicks: Vec<String> = serde_json::from_value(
        live.client
            .execute(
                "return [...document.querySelectorAll('li.message .nick')].map(e => e.textContent)",
                vec![],
            )
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(
        nicks.iter().any(|n| n.starts_with("<script>")),
        "nicknames shown as text: {nicks:?}"
    );
    assert_inert(&live.client, slug).await;
    for page in ["projector", "transcript", "embed"] {
        live.client
            .goto(&format!("{}/r/{slug}/{page}", system.cms_url(0)))
            .await
            .unwrap();
        assert_inert(&live.client, slug).await;
    }
    live.close().await.unwrap();
    system.shutdown().await.unwrap();
}

/// `make screenshots`: home, room (desktop, German, Arabic, 390 px, and in dark mode), projector and transcript
/// as PNGs in `target/screenshots/` for a person to look at.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_of_the_main_pages() {
    let system = System::start(Topology::default()).await.unwrap();
    let slug = "physics-101";
    system.create_room(slug).await.unwrap();
    for (nick, body) in [
        ("Ada", "Is the exam open book? See https://example.org/syllabus"),
        ("Grace", "@Ada yes, one page of notes #physics101"),
        ("Linus", "Could you repeat the last slide?"),
    ] {
        system.post_http(slug, nick, body).await.unwrap();
    }
    let light = ColorScheme::Light;
    let shots: [(&str, String, u32, u32, ColorScheme); 8] = [
        ("home", "/".into(), 1280, 900, light),
        ("room-desktop", format!("/r/{slug}"), 1280, 900, light),
        // Chosen with the language switcher's link, which then goes to the room.
        ("room-de", format!("/language?lang=de&next=/r/{slug}"), 1280, 900, light),
        ("room-ar", format!("/language?lang=ar&next=/r/{slug}"), 1280, 900, light),
        ("room-390", format!("/r/{slug}"), 390, 844, light),
        ("room-dark", format!("/r/{slug}"), 1280, 900, ColorScheme::Dark),
        ("projector", format!("/r/{slug}/projector"), 1600, 900, light),
        ("transcript", format!("/r/{slug}/transcript"), 1280, 900, light),
    ];
    for (name, path, width, height, color_scheme) in shots {
        let browser = Browser::start(BrowserOptions {
            javascript: true,
            width,
            height,
            color_scheme,
            ..Default::default()
        })
        .await
        .unwrap();
        browser
            .client
            .goto(&format!("{}{path}", system.cms_url(0)))
            .await
            .unwrap();
        if path.ends_with(&format!("/r/{slug}")) {
            wait_live(&browser.client).await;
        }
        save_screenshot(&browser.client, name).await;
        browser.close().await.unwrap();
    }
    system.shutdown().await.unwrap();
}

/// The post contract in the page: a post the gateway accepted and the CMS then refused (here:
/// the owner muted the guest, which the gateway could not know yet) is shown as not sent, with
/// the reason, instead of "sent" forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_refused_after_accepted_is_shown_as_not_sent_with_the_reason() {
    let system = System::start(Topology::default()).await.unwrap();
    let slug = "browser-rejected";
    let room = system.create_room(slug).await.unwrap();
    let owner_token = room["owner_token"].as_str().unwrap().to_owned();
    let guest = Browser::start(BrowserOptions::default()).await.unwrap();
    guest
        .client
        .goto(&format!("{}/r/{slug}", system.cms_url(0)))
        .await
        .unwrap();
    wait_live(&guest.client).await;

    // The guest's participant id is the payload of its signed `tm_pid` cookie.
    let cookie = guest.client.get_named_cookie("tm_pid").await.unwrap();
    let participant = guest
        .client
        .execute(
            "const p = arguments[0].split('.')[0].replace(/-/g, '+').replace(/_/g, '/');
             return atob(p + '='.repeat((4 - p.length % 4) % 4));",
            vec![Value::String(cookie.value().to_owned())],
        )
        .await
        .unwrap();
    let muted = system
        .http
        .post(format!("{}/api/v1/rooms/{slug}/mutes", system.cms_url(0)))
        .bearer_auth(&owner_token)
        .json(&serde_json::json!({"participant_id": participant}))
        .send()
        .await
        .unwrap();
    assert_eq!(muted.status().as_u16(), 204, "{participant}");

    post_through_form(&guest.client, "Guest", "am I still heard?").await;
    let meta = wait_for(
        &guest.client,
        "the post marked as refused",
        "const li = document.querySelector('li.message.rejected[data-rejected=muted]');
         return li && li.querySelector('.meta').textContent",
    )
    .await;
    assert_eq!(meta, "not sent: you are muted in this room");
    let state = guest
        .client
        .execute(
            "return { pending: document.querySelectorAll('li.message.pending').length,
                      text: document.querySelector('form[data-post-form] textarea').value,
                      error: document.querySelector('[data-form-error]')?.textContent }",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(state["pending"], 0, "{state}");
    assert_eq!(
        state["text"], "am I still heard?",
        "the text is back in the form: {state}"
    );
    assert_eq!(state["error"], "you are muted in this room", "{state}");
    guest.close().await.unwrap();
    system.shutdown().await.unwrap();
}
