//! The reconnect table of docs/sources.md, row by row, against the fake's scripted answers. Waits
//! are read from the recording sleeper: exact, and no wall-clock sleeping.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use crate::support::fake_twitter::{Answer, FakeTwitter};
use crate::support::*;

fn s(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

#[tokio::test]
async fn every_row_of_the_reconnect_table_waits_as_specified() {
    init_test_tracing();
    let prefix = unique_prefix();
    let twitter = FakeTwitter::start(Duration::from_millis(200)).await;
    use Answer::*;
    twitter.script([
        Status(503),
        Status(503),
        Status(503), // HTTP error: 5, 10, 20 s
        Status(429),
        Status(429),
        Status(420), // rate limit: 60, 120, 240 s
        Drop,
        Drop,
        Drop,        // TCP/IP: 250, 500, 750 ms
        Status(401), // auth: an HTTP error, never a spin: 40 s
        Live,        // 200: everything resets
        Status(503),
        Drop, // after the reset: 5 s, 250 ms
    ]);
    let cms = CmsStandIn::start(&prefix).await.with_rooms(&[(42, &["optics"])]);
    let ingester = TestIngester::spawn(with_twitter(settings(&prefix), &twitter)).await;
    let sleeper = ingester.sleeper.clone();

    wait_until(DEADLINE, "the first live stream after ten failures", || {
        twitter.live_streams() == 1 && sleeper.waits().len() == 10
    })
    .await;
    assert_eq!(
        sleeper.waits(),
        vec![
            s(5),
            s(10),
            s(20),
            s(60),
            s(120),
            s(240),
            ms(250),
            ms(500),
            ms(750),
            s(40)
        ]
    );

    twitter.end_streams(); // an established stream ends: at once
    wait_until(DEADLINE, "live again after the post-reset failures", || {
        twitter.live_streams() == 1 && sleeper.waits().len() == 13
    })
    .await;
    assert_eq!(sleeper.waits()[10..], [Duration::ZERO, s(5), ms(250)]);

    twitter.operational_disconnect(); // in-stream error object: reconnect at once
    wait_until(DEADLINE, "reconnected after the operational disconnect", || {
        twitter.live_streams() == 1 && sleeper.waits().len() == 14 && twitter.stream_attempts() == 15
    })
    .await;
    assert_eq!(sleeper.waits()[13], Duration::ZERO);
    wait_until(DEADLINE, "rules in place", || twitter.rules().len() == 1).await;
    twitter.tweet("77", "ada", "still here #optics", &["optics"]);
    wait_until(DEADLINE, "a tweet after all that arrives", || cms.item("77").is_some()).await;
    assert_eq!(ingester.metrics.twitter.reconnects.load(Relaxed), 14);

    ingester.stop().await;
    cms.finish().await;
}

#[tokio::test]
async fn a_silent_stream_is_declared_dead_and_replaced() {
    init_test_tracing();
    let prefix = unique_prefix();
    // Keep-alives every 100 ms on healthy streams; the first stream sends headers and then
    // nothing at all, the second not even headers.
    let twitter = FakeTwitter::start(Duration::from_millis(100)).await;
    twitter.script([Answer::Stall, Answer::Silent]);
    let cms = CmsStandIn::start(&prefix).await.with_rooms(&[(42, &["optics"])]);
    let mut cfg = with_twitter(settings(&prefix), &twitter);
    cfg.twitter.stall_timeout_ms = 800; // 20 s in production (unit-tested with paused time)
    let ingester = TestIngester::spawn(cfg).await;
    let sleeper = ingester.sleeper.clone();

    wait_until(DEADLINE, "a third, live stream", || twitter.live_streams() == 1).await;
    assert_eq!(twitter.stream_attempts(), 3);
    assert_eq!(sleeper.waits(), vec![ms(250), ms(500)], "silence is a network failure");

    // Keep-alives alone keep the new stream up well past the stall timeout.
    wait_until(DEADLINE, "rules in place", || twitter.rules().len() == 1).await;
    let started = std::time::Instant::now();
    wait_until(DEADLINE, "two stall timeouts pass", || started.elapsed() > ms(1_600)).await;
    assert_eq!(twitter.stream_attempts(), 3, "keep-alives are life signs");
    twitter.tweet("5", "ada", "#optics", &["optics"]);
    wait_until(DEADLINE, "the replacement stream delivers", || cms.item("5").is_some()).await;

    ingester.stop().await;
    cms.finish().await;
}
