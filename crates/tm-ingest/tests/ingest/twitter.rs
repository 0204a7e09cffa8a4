//! Rules follow the watch list; matched tweets become `ingest.item` for the right rooms.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use tm_core::event::IngestSource;

use crate::support::fake_twitter::FakeTwitter;
use crate::support::*;

fn rule(tag: &str, value: &str) -> (String, String) {
    (tag.to_owned(), value.to_owned())
}

#[tokio::test]
async fn rules_are_added_removed_and_rejections_reported() {
    init_test_tracing();
    let prefix = unique_prefix();
    let twitter = FakeTwitter::start(Duration::from_secs(20)).await;
    twitter.preload_rule("#old -is:retweet", "room:99");
    twitter.preload_rule("cats", "someone-else");
    twitter.reject_rules_containing("#forbidden");
    let cms = CmsStandIn::start(&prefix).await.with_rooms(&[
        (42, &["physics101", "optics"]),
        (7, &["chem"]),
        (8, &["forbidden"]),
    ]);

    let ingester = TestIngester::spawn(with_twitter(settings(&prefix), &twitter)).await;

    wait_until(DEADLINE, "rules match the snapshot", || {
        twitter.rules()
            == vec![
                rule("room:42", "(#optics OR #physics101) -is:retweet"),
                rule("room:7", "#chem -is:retweet"),
            ]
    })
    .await;
    wait_until(DEADLINE, "the rejected rule is counted", || {
        ingester.metrics.twitter.rules_rejected.load(Relaxed) == 1
    })
    .await;
    assert_eq!(ingester.metrics.twitter.rules.load(Relaxed), 2);
    assert!(
        cms.snapshot_requests() >= 1,
        "the ingester asked for a snapshot on start"
    );

    cms.change_room(7, &[]).await;
    cms.change_room(5, &["Optics", "lasers"]).await;
    wait_until(
        DEADLINE,
        "the closed room's rule is gone and the new room has one",
        || {
            twitter.rules()
                == vec![
                    rule("room:42", "(#optics OR #physics101) -is:retweet"),
                    rule("room:5", "(#lasers OR #optics) -is:retweet"),
                ]
        },
    )
    .await;
    assert_eq!(
        ingester.metrics.twitter.rules_rejected.load(Relaxed),
        1,
        "a rejected rule is not sent again on later reconciliations"
    );

    ingester.stop().await;
    cms.finish().await;
}

#[tokio::test]
async fn matched_tweets_reach_the_cms_for_the_right_rooms_once() {
    init_test_tracing();
    let prefix = unique_prefix();
    let twitter = FakeTwitter::start(Duration::from_millis(200)).await;
    let cms = CmsStandIn::start(&prefix)
        .await
        .with_rooms(&[(42, &["optics"]), (7, &["optics"]), (9, &["chem"])]);
    let ingester = TestIngester::spawn(with_twitter(settings(&prefix), &twitter)).await;
    wait_until(DEADLINE, "rules in place and the stream open", || {
        twitter.rules().len() == 2 && twitter.live_streams() == 1
    })
    .await;

    twitter.tweet("1850", "ada", "Light bends #optics", &["optics"]);
    twitter.tweet("1851", "bob", "Moles! #chem", &["chem"]);
    twitter.tweet("1850", "ada", "Light bends #optics", &["optics"]); // a replay
    twitter.tweet("1852", "cy", "#unwatched", &["unwatched"]); // matches no rule
    twitter.tweet("1853", "dee", "last", &["chem"]);
    wait_until(DEADLINE, "three items reach cms.ingest", || cms.items().len() >= 3).await;

    let optics = cms.item("1850").unwrap();
    assert_eq!(optics.source, IngestSource::Twitter);
    assert_eq!(optics.room_ids, vec![7, 42]);
    assert_eq!(optics.author, "@ada");
    assert_eq!(optics.text, "Light bends #optics");
    assert_eq!(optics.url, "https://twitter.com/ada/status/1850");
    assert_eq!(optics.posted_at.unix_timestamp(), 1_795_402_800);
    assert_eq!(cms.item("1851").unwrap().room_ids, vec![9]);
    assert!(cms.item("1852").is_none());
    let ids: Vec<String> = cms.items().into_iter().map(|i| i.external_id).collect();
    assert_eq!(
        ids,
        vec!["1850", "1851", "1853"],
        "the replayed tweet is not sent twice"
    );
    assert_eq!(ingester.metrics.duplicates_skipped.load(Relaxed), 1);
    let query = &twitter.stream_queries()[0];
    assert!(
        query.contains("expansions=author_id") && query.contains("user.fields=username"),
        "{query}"
    );

    // Ops: health and per-source metrics.
    let (status, body) = ingester.get("/healthz").await;
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (status.as_str(), health),
        ("HTTP/1.1 200 OK", serde_json::json!({"status": "ok", "role": "active"}))
    );
    let (_, metrics) = ingester.get("/metrics").await;
    for line in [
        "tm_ingest_source_connected{source=\"twitter\"} 1",
        "tm_ingest_source_items_total{source=\"twitter\"} 4",
        "tm_ingest_source_rules{source=\"twitter\"} 2",
        "tm_ingest_source_enabled{source=\"mastodon\"} 0",
        "tm_ingest_published_total 3",
        "tm_ingest_active 1",
    ] {
        assert!(metrics.contains(line), "missing {line} in\n{metrics}");
    }
    assert!(
        metrics.contains("tm_ingest_source_last_item_age_seconds{source=\"twitter\"} 0")
            || metrics.contains("tm_ingest_source_last_item_age_seconds{source=\"twitter\"} 1")
    );

    ingester.stop().await;
    cms.finish().await;
}
