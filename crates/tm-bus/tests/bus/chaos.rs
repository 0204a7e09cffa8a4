//! Broker link failures through the chaos proxy: nothing lost, everything resumes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tm_bus::{Bus, BusConfig, CancellationToken, CommandQueue, QueueKind, SubscribeSpec, SubscriptionEvent};
use tm_core::event::Envelope;
use tm_core::event::{PostSubmit, RawEnvelope, SourcesSnapshotRequest};
use tm_testkit::wait_until;
use tokio::io::AsyncReadExt;

use crate::helpers::{post, Seen, TestBroker, PATIENCE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_mid_stream_loses_no_message() {
    const TOTAL: usize = 300;
    let broker = TestBroker::new().await;
    let proxy = broker.proxy().await;
    let bus = broker.bus_via(&proxy, "chaos").await;
    let seen = Seen::default();
    let shutdown = CancellationToken::new();

    let consumer = tokio::spawn({
        let (bus, seen, shutdown) = (bus.clone(), seen.clone(), shutdown.clone());
        async move {
            let handler = move |env: RawEnvelope| {
                let seen = seen.clone();
                async move {
                    seen.push(env.decode::<PostSubmit>().unwrap().id);
                    Ok(())
                }
            };
            bus.consume(CommandQueue::CmsPosts, handler, shutdown).await
        }
    });
    let sent: Vec<_> = (0..TOTAL).map(post).collect();
    let producer = tokio::spawn({
        let (publisher, sent, shutdown) = (bus.publisher().await.unwrap(), sent.clone(), shutdown.clone());
        async move {
            for env in &sent {
                publisher.publish_retrying(env, &shutdown).await.unwrap();
            }
        }
    });

    wait_until(PATIENCE, "a third has been consumed", || seen.count() >= TOTAL / 3).await;
    proxy.cut();
    wait_until(PATIENCE, "the bus notices the cut", || !bus.is_connected()).await;
    let during_cut = seen.count();
    proxy.restore();
    wait_until(PATIENCE, "every message is consumed", || seen.distinct().len() == TOTAL).await;
    tokio::time::timeout(PATIENCE, producer).await.unwrap().unwrap();
    shutdown.cancel();
    tokio::time::timeout(PATIENCE, consumer)
        .await
        .unwrap()
        .unwrap()
        .unwrap();

    assert!(during_cut < TOTAL, "the cut happened mid-stream");
    assert!(bus.generation() >= 2, "the bus reconnected");
    let expected: std::collections::HashSet<_> = sent.iter().map(|e| e.id).collect();
    assert_eq!(seen.distinct(), expected);
    assert_eq!(
        broker.direct.dead_letter_depth(CommandQueue::CmsPosts).await.unwrap(),
        0
    );
    bus.close().await;
    broker.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bus_started_while_the_broker_is_unreachable_waits_and_then_connects() {
    let broker = TestBroker::new().await;
    let proxy = broker.proxy().await;
    proxy.cut();

    let bus = Bus::start(&BusConfig::for_test_via(&broker.prefix, proxy.addr()), "early-bird").unwrap();
    wait_until(PATIENCE, "the bus has retried a few times", || {
        proxy.refused_connections() >= 3
    })
    .await;
    assert!(!bus.is_connected());

    proxy.restore();
    tokio::time::timeout(PATIENCE, bus.wait_connected())
        .await
        .unwrap()
        .unwrap();
    assert!(bus.is_connected());
    bus.close().await;
    broker.teardown().await;
}

/// Documents the broker's accounting (see `tm_bus::topology`): on RabbitMQ 3.x a connection
/// lost while a delivery is unacked counts as a delivery attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_count_grows_when_a_connection_drops() {
    let broker = TestBroker::new().await;
    let proxy = broker.proxy().await;
    let bus = broker.bus_via(&proxy, "counting").await;
    let mut sub = bus
        .subscribe(SubscribeSpec {
            queue: QueueKind::Durable(CommandQueue::CmsControl),
            single_active: false,
        })
        .await
        .unwrap();
    let request = Envelope::new(
        "test",
        SourcesSnapshotRequest {
            requested_by: "t".into(),
        },
    );
    broker
        .direct
        .publisher()
        .await
        .unwrap()
        .publish(&request)
        .await
        .unwrap();

    let first = next_message(&mut sub).await;
    assert!(!first.redelivered);
    proxy.cut(); // not acked: the broker takes it back
    proxy.restore();
    let second = loop {
        match tokio::time::timeout(PATIENCE, sub.next()).await.unwrap().unwrap() {
            SubscriptionEvent::Recovered => continue,
            SubscriptionEvent::Message(msg) => break msg,
        }
    };
    assert_eq!(second.message_id, first.message_id);
    assert!(second.redelivered);
    tracing::info!(before = ?first.delivery_count, after = ?second.delivery_count, "x-delivery-count");
    assert_eq!(
        second.delivery_count.unwrap_or(0),
        first.delivery_count.unwrap_or(0) + 1
    );
    second.ack().await.unwrap();
    drop(sub);
    bus.close().await;
    broker.teardown().await;
}

async fn next_message(sub: &mut tm_bus::Subscription) -> tm_bus::Incoming {
    loop {
        let event = tokio::time::timeout(PATIENCE, sub.next()).await.unwrap().unwrap();
        if let SubscriptionEvent::Message(msg) = event {
            return msg;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_link_is_detected_by_heartbeat_and_never_reported_as_sent() {
    let broker = TestBroker::new().await;
    let proxy = broker.proxy().await;
    let mut cfg = BusConfig::for_test_via(&broker.prefix, proxy.addr());
    cfg.heartbeat_secs = 2;
    let bus = Bus::start(&cfg, "partitioned").unwrap();
    tokio::time::timeout(PATIENCE, bus.wait_connected())
        .await
        .unwrap()
        .unwrap();
    let publisher = bus.publisher().await.unwrap();
    publisher.publish(&post(0)).await.unwrap();

    proxy.freeze();
    let in_partition = tokio::spawn({
        let publisher = publisher.clone();
        async move { publisher.publish(&post(1)).await }
    });
    wait_until(PATIENCE, "missing heartbeats end the connection", || {
        !bus.is_connected()
    })
    .await;
    let outcome = tokio::time::timeout(PATIENCE, in_partition).await.unwrap().unwrap();
    assert!(outcome.is_err(), "a publish into a partition was reported as sent");

    proxy.restore();
    tokio::time::timeout(PATIENCE, bus.wait_connected())
        .await
        .unwrap()
        .unwrap();
    publisher.publish(&post(2)).await.unwrap();
    bus.close().await;
    broker.teardown().await;
}

/// A broker that accepts TCP but never speaks (out of socket slots) must not make the bus pile
/// up connection attempts: lapin keeps an abandoned attempt's socket open, the probe does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_broker_does_not_make_connection_attempts_pile_up() {
    let hole = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = hole.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let still_open = Arc::new(AtomicUsize::new(0));
    let black_hole = tokio::spawn({
        let (accepted, still_open) = (accepted.clone(), still_open.clone());
        async move {
            loop {
                let (mut socket, _) = hole.accept().await.unwrap();
                accepted.fetch_add(1, Ordering::SeqCst);
                still_open.fetch_add(1, Ordering::SeqCst);
                let still_open = still_open.clone();
                tokio::spawn(async move {
                    let mut sink = [0u8; 64];
                    while matches!(socket.read(&mut sink).await, Ok(n) if n > 0) {}
                    still_open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        }
    });

    let bus = Bus::start(&BusConfig::for_test_via("unused.", addr), "silent").unwrap();
    wait_until(PATIENCE, "the bus has tried three times", || {
        accepted.load(Ordering::SeqCst) >= 3
    })
    .await;
    assert!(!bus.is_connected());
    wait_until(PATIENCE, "abandoned attempts are closed", || {
        still_open.load(Ordering::SeqCst) <= 1
    })
    .await;
    bus.close().await;
    black_hole.abort();
}
