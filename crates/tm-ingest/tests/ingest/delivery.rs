//! A broker cut: items wait in the buffer and all arrive after the link is back.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use crate::support::fake_twitter::FakeTwitter;
use crate::support::*;

#[tokio::test]
async fn items_wait_out_a_broker_cut_and_arrive_afterwards() {
    init_test_tracing();
    let prefix = unique_prefix();
    let twitter = FakeTwitter::start(Duration::from_millis(200)).await;
    let cms = CmsStandIn::start(&prefix).await.with_rooms(&[(42, &["optics"])]);
    let proxy = ChaosProxy::start(amqp_addr()).await.unwrap();
    let mut cfg = with_twitter(settings(&prefix), &twitter);
    cfg.bus = BusConfig::for_test_via(&prefix, proxy.addr());
    let ingester = TestIngester::spawn(cfg).await;
    wait_until(DEADLINE, "rules in place and the stream open", || {
        twitter.rules().len() == 1 && twitter.live_streams() == 1
    })
    .await;
    twitter.tweet("1", "ada", "before #optics", &["optics"]);
    wait_until(DEADLINE, "the first item arrives", || cms.item("1").is_some()).await;
    let requests_before = cms.snapshot_requests();

    proxy.cut();
    for id in ["2", "3", "4"] {
        twitter.tweet(id, "ada", "during #optics", &["optics"]);
    }
    wait_until(DEADLINE, "three items wait in the buffer", || {
        ingester.metrics.buffered.load(Relaxed) == 3 && ingester.metrics.publish_failures.load(Relaxed) > 0
    })
    .await;
    assert_eq!(cms.items().len(), 1, "nothing gets through while the broker is away");
    assert!(ingester.is_active(), "a broker outage does not stop the sources");

    proxy.restore();
    wait_until(DEADLINE, "the buffered items arrive", || {
        ["2", "3", "4"].iter().all(|id| cms.item(id).is_some())
    })
    .await;
    assert_eq!(ingester.metrics.buffered.load(Relaxed), 0);
    assert_eq!(ingester.metrics.buffer_dropped.load(Relaxed), 0);
    wait_until(DEADLINE, "a fresh snapshot is requested after the recovery", || {
        cms.snapshot_requests() > requests_before
    })
    .await;
    assert!(ingester.is_active());

    ingester.stop().await;
    cms.finish().await;
}
