//! Mastodon: subscriptions follow the watch list; statuses become plain-text items. Twitter is
//! off here (no token), which must not stop anything else.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use tm_core::event::IngestSource;

use crate::support::fake_mastodon::FakeMastodon;
use crate::support::*;

#[tokio::test]
async fn subscriptions_follow_the_watch_list_and_statuses_arrive_as_plain_text() {
    init_test_tracing();
    let prefix = unique_prefix();
    let mastodon = FakeMastodon::start().await;
    let cms = CmsStandIn::start(&prefix)
        .await
        .with_rooms(&[(42, &["optics"]), (7, &["chem", "Optics"])]);
    let ingester = TestIngester::spawn(with_mastodon(settings(&prefix), &mastodon)).await;

    wait_until(DEADLINE, "subscribed to the watched hashtags", || {
        mastodon.subscriptions() == vec!["chem", "optics"]
    })
    .await;
    assert!(
        !ingester.metrics.twitter.enabled.load(Relaxed),
        "Twitter is off without a token"
    );

    let hostile = r#"<p>Prisms &amp; <b>light</b><br><script>alert(1)</script><a href="https://x.example/tags/optics">#<span>optics</span></a></p><p>second &lt;p&gt;</p>"#;
    mastodon.post("optics", &FakeMastodon::status("109", "ada", hostile, &["optics"]));
    wait_until(DEADLINE, "the status reaches the CMS", || cms.item("109").is_some()).await;
    let item = cms.item("109").unwrap();
    assert_eq!(item.source, IngestSource::Mastodon);
    assert_eq!(item.room_ids, vec![7, 42], "every room watching any of its tags");
    assert_eq!(item.text, "Prisms & light\n#optics\n\nsecond <p>");
    assert_eq!(item.author, "ada@fake.social");
    assert_eq!(item.url, "https://fake.social/@ada/109");

    cms.change_room(42, &[]).await;
    cms.change_room(7, &["chem", "bio"]).await;
    wait_until(DEADLINE, "subscriptions follow the changes", || {
        mastodon.subscriptions() == vec!["bio", "chem"]
    })
    .await;
    assert!(mastodon.log().contains(&"unsubscribe optics".to_owned()));
    mastodon.post("bio", &FakeMastodon::status("110", "bob", "<p>cells</p>", &["bio"]));
    wait_until(DEADLINE, "a status on the new tag arrives", || {
        cms.item("110").is_some()
    })
    .await;
    assert_eq!(cms.item("110").unwrap().room_ids, vec![7]);
    assert_eq!(mastodon.connections(), 1, "one connection for every tag");

    ingester.stop().await;
    cms.finish().await;
}

#[tokio::test]
async fn a_refused_token_backs_off_like_any_http_error() {
    init_test_tracing();
    let prefix = unique_prefix();
    let mastodon = FakeMastodon::start().await;
    let cms = CmsStandIn::start(&prefix).await;
    let mut cfg = with_mastodon(settings(&prefix), &mastodon);
    cfg.mastodon.access_token = tm_runtime::Secret::new("wrong".to_owned());
    let ingester = TestIngester::spawn(cfg).await;
    let sleeper = ingester.sleeper.clone();
    wait_until(DEADLINE, "three refused handshakes", || sleeper.waits().len() >= 3).await;
    let s = Duration::from_secs;
    assert_eq!(sleeper.waits()[..3], [s(5), s(10), s(20)]);
    assert_eq!(mastodon.connections(), 0);
    ingester.stop().await;
    cms.finish().await;
}
