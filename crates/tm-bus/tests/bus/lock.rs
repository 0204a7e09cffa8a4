//! The exclusive lock: one holder at a time, given up on drop, release or a dead connection.

use tm_bus::{BusConfig, ExclusiveLock};
use tm_testkit::{amqp_addr, init_test_tracing, unique_prefix, ChaosProxy};

use crate::helpers::PATIENCE;

const LOCK: &str = "test.lock";

async fn try_take(cfg: &BusConfig, holder: &str) -> Option<ExclusiveLock> {
    tokio::time::timeout(PATIENCE, ExclusiveLock::try_take(cfg, LOCK, holder))
        .await
        .expect("one attempt ends within the patience")
        .expect("the broker answers")
}

/// Retries until the lock is free again (the broker drops a dead holder's queue asynchronously).
async fn take_when_free(cfg: &BusConfig, holder: &str) -> ExclusiveLock {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(lock) = try_take(cfg, holder).await {
            return lock;
        }
        assert!(tokio::time::Instant::now() < deadline, "{holder} never got the lock");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_second_taker_sees_the_lock_held() {
    init_test_tracing();
    let cfg = BusConfig::for_test(&unique_prefix());
    let first = try_take(&cfg, "first").await.expect("a free lock is taken");
    assert!(try_take(&cfg, "second").await.is_none(), "held by the first");
    assert!(
        try_take(&cfg, "third").await.is_none(),
        "still held after a refused attempt"
    );
    first.release().await;
}

#[tokio::test]
async fn a_released_or_dropped_lock_is_free_again() {
    init_test_tracing();
    let cfg = BusConfig::for_test(&unique_prefix());
    let released = try_take(&cfg, "first").await.expect("a free lock is taken");
    released.release().await;
    let dropped = try_take(&cfg, "second").await.expect("free at once after release");
    drop(dropped);
    let third = take_when_free(&cfg, "third").await;
    assert!(try_take(&cfg, "fourth").await.is_none(), "held by the third");
    third.release().await;
}

#[tokio::test]
async fn the_lock_is_taken_over_after_the_holders_connection_dies() {
    init_test_tracing();
    let prefix = unique_prefix();
    let proxy = ChaosProxy::start(amqp_addr()).await.unwrap();
    let holder = try_take(&BusConfig::for_test_via(&prefix, proxy.addr()), "holder")
        .await
        .expect("a free lock is taken");
    let direct = BusConfig::for_test(&prefix);
    assert!(try_take(&direct, "standby").await.is_none(), "held through the proxy");

    proxy.cut();
    tokio::time::timeout(PATIENCE, holder.lost())
        .await
        .expect("the holder learns its connection is gone");
    let standby = take_when_free(&direct, "standby").await;
    proxy.restore();
    assert!(
        try_take(&BusConfig::for_test_via(&prefix, proxy.addr()), "old holder")
            .await
            .is_none(),
        "the old holder, back, finds the lock taken over"
    );
    standby.release().await;
}

#[tokio::test]
async fn an_unreachable_node_of_the_list_is_skipped() {
    init_test_tracing();
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let live = BusConfig::for_test(&unique_prefix());
    let cfg = BusConfig {
        url: format!("amqp://guest:guest@{dead}/%2f,{}", live.url),
        ..live.clone()
    };
    let lock = try_take(&cfg, "first").await.expect("taken on the second node");
    assert!(
        try_take(&live, "second").await.is_none(),
        "the same lock on the live node"
    );
    lock.release().await;
}
