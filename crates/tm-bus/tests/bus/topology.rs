//! The topology is declared on connect, idempotently, with dead-letter routes.

use tm_bus::{Bus, BusConfig, CommandQueue};
use tm_testkit::wait_until_async;

use crate::helpers::{post, sources_changed, TestBroker, PATIENCE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_declares_every_queue_and_routes_commands_and_events() {
    let broker = TestBroker::new().await;
    let bus = &broker.direct;
    for queue in CommandQueue::ALL {
        assert_eq!(bus.queue_depth(queue).await.unwrap(), 0, "{queue:?}");
        assert_eq!(bus.dead_letter_depth(queue).await.unwrap(), 0, "{queue:?}");
    }

    let publisher = bus.publisher().await.unwrap();
    publisher.publish(&post(1)).await.unwrap();
    publisher.publish(&sources_changed(7)).await.unwrap();

    wait_until_async(PATIENCE, "post.submit is in cms.posts", || async {
        bus.queue_depth(CommandQueue::CmsPosts).await.unwrap() == 1
    })
    .await;
    wait_until_async(PATIENCE, "sources.changed is in ingest.sources", || async {
        bus.queue_depth(CommandQueue::IngestSources).await.unwrap() == 1
    })
    .await;
    broker.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_bus_redeclares_the_same_topology_without_conflict() {
    let broker = TestBroker::new().await;
    let cfg = BusConfig::for_test(&broker.prefix);
    let second = tokio::time::timeout(PATIENCE, Bus::connect(&cfg, "second"))
        .await
        .unwrap()
        .unwrap();
    assert!(second.is_connected());
    assert_eq!(second.generation(), 1);
    second.close().await;
    assert!(!second.is_connected());
    broker.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_delivery_limit_does_not_keep_a_service_from_starting() {
    let broker = TestBroker::new().await;
    let mut cfg = BusConfig::for_test(&broker.prefix);
    cfg.delivery_limit += 2;

    let changed = tokio::time::timeout(PATIENCE, Bus::connect(&cfg, "changed"))
        .await
        .unwrap()
        .unwrap();

    assert!(changed.is_connected());
    changed.publisher().await.unwrap().publish(&post(1)).await.unwrap();
    changed.close().await;
    broker.teardown().await;
}
