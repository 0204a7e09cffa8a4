//! Two ingesters, one stream: the second stands by and takes over when the first is killed.

use std::process::Stdio;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use crate::support::fake_twitter::{FakeTwitter, TOKEN};
use crate::support::*;

/// Runs the real binary as the first instance, configured through the environment.
fn spawn_binary(prefix: &str, twitter: &FakeTwitter) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_tm-ingest"))
        .env("TM_INGEST__BUS__PREFIX", prefix)
        .env("TM_INGEST__BUS__URL", amqp_url())
        .env("TM_INGEST__HTTP__BIND", "127.0.0.1:0")
        .env("TM_INGEST__TWITTER__BEARER_TOKEN", TOKEN)
        .env("TM_INGEST__TWITTER__BASE_URL", twitter.base_url())
        .env("TM_INGEST__LOCK__RETRY_SECS", "1")
        .env("TM_INGEST__LOG__FILTER", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn a_standby_takes_over_when_the_active_instance_is_killed() {
    init_test_tracing();
    let prefix = unique_prefix();
    let (twitter_a, twitter_b) = (
        FakeTwitter::start(Duration::from_millis(200)).await,
        FakeTwitter::start(Duration::from_millis(200)).await,
    );
    let cms = CmsStandIn::start(&prefix).await.with_rooms(&[(42, &["optics"])]);

    let mut first = spawn_binary(&prefix, &twitter_a);
    wait_until(DEADLINE, "the first instance streams", || twitter_a.live_streams() == 1).await;

    let second = TestIngester::spawn(with_twitter(settings(&prefix), &twitter_b)).await;
    wait_until(DEADLINE, "the second instance has tried the lock a few times", || {
        second.metrics.lock_attempts.load(Relaxed) >= 3
    })
    .await;
    assert!(!second.is_active());
    assert_eq!(twitter_b.stream_attempts(), 0, "a standby never opens the stream");
    assert_eq!(twitter_b.rule_requests(), 0, "nor touches the rules");

    first.kill().await.unwrap(); // SIGKILL: no graceful release
    let killed_at = std::time::Instant::now();
    wait_until(DEADLINE, "the standby streams", || twitter_b.live_streams() == 1).await;
    assert!(
        killed_at.elapsed() < Duration::from_secs(10),
        "took over in {:?}",
        killed_at.elapsed()
    );
    assert!(second.is_active());
    wait_until(DEADLINE, "the new active instance reconciles the rules", || {
        twitter_b.rules().len() == 1
    })
    .await;
    twitter_b.tweet("9", "ada", "#optics", &["optics"]);
    wait_until(DEADLINE, "its items arrive", || cms.item("9").is_some()).await;

    second.stop().await;
    cms.finish().await;
}

#[tokio::test]
async fn sigterm_stops_the_binary_gracefully_and_frees_the_stream() {
    init_test_tracing();
    let prefix = unique_prefix();
    let twitter = FakeTwitter::start(Duration::from_millis(200)).await;
    let cms = CmsStandIn::start(&prefix).await.with_rooms(&[(42, &["optics"])]);
    let mut child = spawn_binary(&prefix, &twitter);
    wait_until(DEADLINE, "the binary streams", || twitter.live_streams() == 1).await;

    let pid = child.id().unwrap().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "exit status {status}");
    wait_until(DEADLINE, "the stream connection is closed", || {
        twitter.live_streams() == 0
    })
    .await;

    cms.finish().await;
}
