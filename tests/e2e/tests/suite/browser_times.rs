//! Times on the pages, in a headless Chromium set to a time zone half an hour off any whole-hour
//! offset from UTC, so a UTC label cannot pass for a local one.

use fantoccini::{Client, Locator};
use serde_json::Value;
use tm_e2e::browser::{Browser, BrowserOptions};
use tm_e2e::system::{System, Topology};

use crate::browser::{wait_for, wait_live};

const ZONE: &str = "Asia/Kolkata"; // UTC+05:30, no daylight saving time

/// `[{datetime, label}]` of the messages' times on the page, in page order.
async fn message_times(client: &Client) -> Vec<(String, String)> {
    let value = client
        .execute(
            "return [...document.querySelectorAll('li.message .meta time')].map(t => [t.getAttribute('datetime'), t.textContent])",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(value).unwrap()
}

/// The minutes of an `HH:MM` somewhere in `label`.
fn minutes(label: &str) -> u32 {
    let colon = label.find(':').unwrap_or_else(|| panic!("no HH:MM in {label:?}"));
    label[colon + 1..colon + 3].parse().unwrap()
}

/// The minutes of an RFC 3339 time in UTC (`2026-12-05T14:02:09.5Z`).
fn utc_minutes(rfc3339: &str) -> u32 {
    rfc3339[14..16].parse().unwrap()
}

/// Issue "finish the room UI", item 5: server-rendered times were UTC while live ones were local,
/// and the transcript showed HH:MM without a date.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn times_are_in_the_readers_zone_on_every_page_and_the_transcript_has_dates() {
    let system = System::start(Topology::default()).await.unwrap();
    let slug = "browser-times";
    system.create_room(slug).await.unwrap();
    let before: Value = system.post_http(slug, "Ada", "before the page loaded").await.unwrap();
    let browser = Browser::start(BrowserOptions {
        timezone: Some(ZONE),
        ..Default::default()
    })
    .await
    .unwrap();
    let client = &browser.client;
    client.goto(&format!("{}/r/{slug}", system.cms_url(0))).await.unwrap();
    wait_live(client).await;
    system.post_http(slug, "Grace", "arrived live").await.unwrap();
    wait_for(
        client,
        "the live message",
        "return document.querySelectorAll('li.message').length === 2",
    )
    .await;
    let times = message_times(client).await;
    assert_eq!(times.len(), 2);
    let live_format = "return new Date(arguments[0]).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })";
    for (at, label) in &times {
        assert_eq!(
            minutes(label),
            (utc_minutes(at) + 30) % 60,
            "{label:?} is the local time of {at}"
        );
        assert!(!label.contains("UTC"), "{label}");
        let live = client
            .execute(live_format, vec![Value::String(at.clone())])
            .await
            .unwrap();
        assert_eq!(
            live.as_str(),
            Some(label.as_str()),
            "the server's and the live module's labels have one format"
        );
    }

    // The transcript dates each message, in local time too.
    client
        .goto(&format!("{}/r/{slug}/transcript", system.cms_url(0)))
        .await
        .unwrap();
    let times = message_times(client).await;
    let (at, label) = &times[0];
    assert_eq!(at, before["created_at"].as_str().unwrap());
    assert_eq!(minutes(label), (utc_minutes(at) + 30) % 60, "{label}");
    let year = &at[..4];
    assert!(label.contains(year), "a date with the year: {label:?}");
    browser.close().await.unwrap();

    // Without JavaScript the labels stay UTC and say so, with the date in the transcript.
    let plain = Browser::start(BrowserOptions {
        javascript: false,
        timezone: Some(ZONE),
        ..Default::default()
    })
    .await
    .unwrap();
    plain
        .client
        .goto(&format!("{}/r/{slug}/transcript", system.cms_url(0)))
        .await
        .unwrap();
    // Read through WebDriver, not a script: scripts are off in this browser.
    let time = plain.client.find(Locator::Css("li.message .meta time")).await.unwrap();
    let at = time.attr("datetime").await.unwrap().unwrap();
    let label = time.text().await.unwrap();
    assert!(
        label.ends_with(&format!("{year}, {} UTC", &at[11..16])),
        "{label:?} for {at}"
    );
    plain.close().await.unwrap();
    system.shutdown().await.unwrap();
}
