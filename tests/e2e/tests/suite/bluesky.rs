//! Issue 20: a room follows #physics101 on Bluesky. The real tm-ingest reads the fake Jetstream;
//! a matching post appears in the room (API and a real Chromium) with its author's handle and
//! link, a non-matching one never does, posts made while the connection is down arrive exactly
//! once after the reconnect, an upstream delete removes the message from the room, and a muted
//! Bluesky author's later posts are not shown.

use std::time::Duration;

use fantoccini::Client;
use serde_json::Value;
use tm_e2e::browser::{Browser, BrowserOptions};
use tm_e2e::system::{System, Topology};
use tm_testkit::fake_jetstream::FakeJetstream;

const LONG: Duration = Duration::from_secs(60);
const ADA: &str = "did:plc:adaadaadaadaadaadaadaada";
const BOB: &str = "did:plc:bobbobbobbobbobbobbobbob";

fn link(did: &str, rkey: &str) -> String {
    format!("https://bsky.app/profile/{did}/post/{rkey}")
}

async fn bluesky_messages(system: &System, slug: &str) -> Vec<Value> {
    let page: Value = system
        .http
        .get(format!("{}/api/v1/rooms/{slug}/messages?limit=1000", system.cms_url(0)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "bluesky")
        .cloned()
        .collect()
}

async fn wait_for_messages(system: &System, slug: &str, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + LONG;
    loop {
        let messages = bluesky_messages(system, slug).await;
        if done(&messages) {
            return messages;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}: {messages:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn wait_in_browser(client: &Client, what: &str, script: &str) {
    let deadline = tokio::time::Instant::now() + LONG;
    loop {
        if client.execute(script, vec![]).await.unwrap().as_bool() == Some(true) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn ingest_metric(system: &System, addr: std::net::SocketAddr, line: &str) -> bool {
    match system.http.get(format!("http://{addr}/metrics")).send().await {
        Ok(resp) => resp.text().await.unwrap_or_default().contains(line),
        Err(_) => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_follows_a_bluesky_hashtag_through_a_dropped_connection_and_an_upstream_delete() {
    let system = System::start(Topology::default()).await.unwrap();
    let slug = "e2e-bluesky";
    let created = system.create_room_following(slug, &["physics101"]).await.unwrap();
    let owner_token = created["owner_token"].as_str().unwrap().to_owned();
    let watcher = system.join(slug, 0).await.unwrap();
    let browser = Browser::start(BrowserOptions::default()).await.unwrap();
    browser
        .client
        .goto(&format!("{}/r/{slug}", system.cms_url(0)))
        .await
        .unwrap();
    wait_in_browser(
        &browser.client,
        "the live connection",
        "return document.querySelector('[data-connection]')?.dataset.kind === 'live'",
    )
    .await;

    let jetstream = FakeJetstream::start().await;
    let state_dir = std::env::temp_dir().join(format!("tm-e2e-bluesky-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&state_dir).unwrap();
    let mut ingest = system
        .bluesky_ingest_service(&jetstream.endpoint(), &state_dir)
        .unwrap();
    ingest.start().await.unwrap();
    let ops = ingest.http_addr;
    let deadline = tokio::time::Instant::now() + LONG;
    while !(jetstream.live() == 1 && ingest_metric(&system, ops, "tm_ingest_source_rules{source=\"bluesky\"} 1").await)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "tm-ingest never followed #physics101 on Jetstream"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(jetstream.queries()[0], "wantedCollections=app.bsky.feed.post");

    // A matching post appears with its author and link; a non-matching one does not.
    jetstream.identity(ADA, "ada.bsky.social");
    jetstream.post(BOB, "3kchem", "Titration lab #chemistry", &["chemistry"]);
    jetstream.post(ADA, "3kmatch", "Standing waves #Physics101", &["Physics101"]);
    let first = wait_for_messages(&system, slug, "the matching post", |m| !m.is_empty()).await;
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0]["nickname"], "ada.bsky.social");
    assert_eq!(first[0]["body"], "Standing waves #Physics101");
    assert_eq!(first[0]["source_url"], link(ADA, "3kmatch"));
    wait_in_browser(
        &browser.client,
        "the Bluesky post in the page with its author and link",
        &format!(
            "return [...document.querySelectorAll('li.message.kind-bluesky')].some(li =>
               li.querySelector('.nick').textContent === 'ada.bsky.social' &&
               li.querySelector('.meta a').href === '{}' &&
               li.querySelector('.meta a').textContent.includes('via bluesky'))",
            link(ADA, "3kmatch")
        ),
    )
    .await;

    // The connection drops; posts are made while tm-ingest cannot reconnect.
    jetstream.set_down(true);
    jetstream.drop_connections();
    tm_testkit::wait_until(LONG, "the connection is gone", || jetstream.live() == 0).await;
    jetstream.post(BOB, "3kgap1", "During the gap #physics101", &["physics101"]);
    jetstream.post(ADA, "3kgap2", "Also during the gap #PHYSICS101", &["PHYSICS101"]);
    jetstream.post(BOB, "3kgapchem", "Not ours #chemistry", &["chemistry"]);
    tokio::time::sleep(Duration::from_millis(500)).await; // a few refused reconnects
    jetstream.set_down(false);
    wait_for_messages(&system, slug, "the posts of the gap", |m| m.len() >= 3).await;
    tokio::time::sleep(Duration::from_secs(2)).await; // a duplicate would have landed by now
    let after_gap = bluesky_messages(&system, slug).await;
    let links: Vec<&str> = after_gap.iter().map(|m| m["source_url"].as_str().unwrap()).collect();
    assert_eq!(
        links,
        [link(ADA, "3kmatch"), link(BOB, "3kgap1"), link(ADA, "3kgap2")],
        "each post exactly once, nothing off-tag"
    );
    assert_eq!(after_gap[1]["nickname"], BOB, "no identity frame for Bob: his DID");
    let reconnect = jetstream.queries().last().unwrap().clone();
    assert!(
        reconnect.contains("cursor="),
        "the reconnect resumes from a cursor: {reconnect}"
    );

    // An upstream delete removes the message from the room, live too.
    jetstream.delete(ADA, "3kmatch");
    wait_for_messages(&system, slug, "the deleted post gone", |m| {
        !m.iter().any(|m| m["source_url"] == link(ADA, "3kmatch"))
    })
    .await;
    wait_in_browser(
        &browser.client,
        "the deleted post gone from the page",
        &format!(
            "return ![...document.querySelectorAll('li.message .meta a')].some(a => a.href === '{}')",
            link(ADA, "3kmatch")
        ),
    )
    .await;
    let history: Value = system
        .http
        .get(format!("{}/api/v1/rooms/{slug}/events", system.cms_url(0)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !history.to_string().contains("Standing waves"),
        "deleted means gone, also from the replay: {history}"
    );
    // The owner mutes Bob (participant `bluesky:<did>`): his later posts are skipped, Ada's land.
    let muted = system
        .http
        .post(format!("{}/api/v1/rooms/{slug}/mutes", system.cms_url(0)))
        .bearer_auth(&owner_token)
        .json(&serde_json::json!({"participant_id": format!("bluesky:{BOB}")}))
        .send()
        .await
        .unwrap();
    assert_eq!(muted.status(), reqwest::StatusCode::NO_CONTENT);
    jetstream.identity(BOB, "bob.renamed.example"); // a new handle does not escape the mute
    jetstream.post(BOB, "3kmuted", "Muted #physics101", &["physics101"]);
    jetstream.post(ADA, "3kafter", "After the mute #physics101", &["physics101"]);
    let after_mute = wait_for_messages(&system, slug, "Ada's post after the mute", |m| {
        m.iter().any(|m| m["source_url"] == link(ADA, "3kafter"))
    })
    .await;
    assert!(
        !after_mute.iter().any(|m| m["source_url"] == link(BOB, "3kmuted")),
        "the muted author's post is skipped: {after_mute:?}"
    );
    watcher.wait_for_seq(5, LONG).await.unwrap(); // three posts, the delete, Ada's post after the mute
    watcher.snapshot(|o| assert_eq!(o.repeats_on_socket + o.gaps_on_socket, 0));
    println!(
        "e2e bluesky: posts_emitted=8 matching=5 stored={} after_delete_and_mute={}",
        after_gap.len(),
        bluesky_messages(&system, slug).await.len()
    );
    browser.close().await.unwrap();
    ingest.terminate(Duration::from_secs(30)).await.unwrap();
    let _ = std::fs::remove_dir_all(&state_dir);
    system.shutdown().await.unwrap();
}
