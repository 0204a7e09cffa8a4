//! Scenario 6: tm-ingest killed and restarted. The CMS and the gateway do not notice, the
//! Twitter rules are reconciled again, and no tweet is shown twice.

use std::time::Duration;

use serde_json::Value;
use tm_e2e::system::{System, Topology};
use tm_testkit::fake_twitter::FakeTwitter;

const LONG: Duration = Duration::from_secs(60);

async fn tweets_in(system: &System, slug: &str) -> Vec<Value> {
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
        .filter(|m| m["kind"] == "tweet")
        .cloned()
        .collect()
}

async fn wait_for_tweets(system: &System, slug: &str, n: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + LONG;
    loop {
        let tweets = tweets_in(system, slug).await;
        if tweets.len() >= n {
            return tweets;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {n} tweets arrived",
            tweets.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_killed_and_restarted_reconciles_rules_and_shows_no_tweet_twice() {
    let mut system = System::start(Topology::default()).await.unwrap();
    let slug = "e2e-ingest";
    let created = system.create_room_following(slug, &["physics101"]).await.unwrap();
    let room_id = created["id"].as_u64().unwrap();
    let watcher = system.join(slug, 0).await.unwrap();
    let twitter = FakeTwitter::start(Duration::from_secs(5)).await;
    let state_dir = std::env::temp_dir().join(format!("tm-e2e-ingest-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&state_dir).unwrap();
    let mut ingest = system.ingest_service(&twitter.base_url(), &state_dir).unwrap();
    ingest.start().await.unwrap();

    let has_rule = |t: &FakeTwitter| {
        t.rules()
            .iter()
            .any(|(tag, value)| value.contains("#physics101") && tag.contains(&room_id.to_string()))
    };
    tm_testkit::wait_until(LONG, "the room's rule at Twitter", || has_rule(&twitter)).await;
    tm_testkit::wait_until(LONG, "a live stream", || twitter.live_streams() >= 1).await;
    twitter.tweet("1001", "ada", "Loving #physics101 today", &["physics101"]);
    let first = wait_for_tweets(&system, slug, 1).await;
    assert_eq!(first[0]["source_url"], "https://twitter.com/ada/status/1001");

    ingest.kill().await.unwrap();
    system.assert_all_running().unwrap();
    system
        .post_http(slug, "human", "the CMS does not notice")
        .await
        .unwrap();
    let rule_requests_before = twitter.rule_requests();
    ingest.start().await.unwrap();
    tm_testkit::wait_until(LONG, "rules checked again after the restart", || {
        twitter.rule_requests() > rule_requests_before
    })
    .await;
    tm_testkit::wait_until(LONG, "a new live stream", || {
        twitter.live_streams() >= 1 && twitter.stream_attempts() >= 2
    })
    .await;
    assert!(has_rule(&twitter), "the rule is still in place");
    assert_eq!(twitter.rules().len(), 1, "no duplicate rules after the restart");

    // Twitter may replay a tweet after a reconnect; the CMS stores it once.
    twitter.tweet("1001", "ada", "Loving #physics101 today", &["physics101"]);
    twitter.tweet("1002", "grace", "More #physics101 please", &["physics101"]);
    let tweets = wait_for_tweets(&system, slug, 2).await;
    tokio::time::sleep(Duration::from_secs(2)).await; // a duplicate would have landed by now
    let tweets_after = tweets_in(&system, slug).await;
    assert_eq!(tweets_after.len(), 2, "each tweet shown once: {tweets:?}");
    let ids: Vec<&str> = tweets_after.iter().map(|t| t["source_url"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "https://twitter.com/ada/status/1001",
            "https://twitter.com/grace/status/1002"
        ]
    );
    watcher.wait_for_seq(3, LONG).await.unwrap(); // tweet 1001, the HTTP post, tweet 1002
    watcher.snapshot(|o| {
        assert_eq!(o.resets, 0, "the live feed did not notice");
        assert_eq!(o.repeats_on_socket + o.gaps_on_socket, 0);
    });
    println!("e2e ingest_killed: tweets_pushed=3 stored=2 duplicates=0");
    ingest.terminate(Duration::from_secs(30)).await.unwrap();
    let _ = std::fs::remove_dir_all(&state_dir);
    system.shutdown().await.unwrap();
}
