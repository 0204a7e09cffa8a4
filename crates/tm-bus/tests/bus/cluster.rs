//! A three-node RabbitMQ cluster of private nodes: commands on a quorum queue survive the
//! kill -9 of the node the bus published through, and a bus given every node's URL moves to a
//! survivor and keeps publishing and consuming under load.

use std::collections::HashSet;
use std::time::Duration;

use tm_bus::{Bus, BusConfig, CancellationToken, CommandQueue};
use tm_core::event::{PostSubmit, RawEnvelope};
use tm_testkit::{wait_until, BrokerNode};

use tm_testkit::init_test_tracing;

use crate::helpers::{post, Seen, PATIENCE};

fn settings(node: &BrokerNode, prefix: &str) -> BusConfig {
    BusConfig::for_test_via(prefix, node.amqp_addr())
}

#[tokio::test]
async fn quorum_queue_commands_survive_the_kill_of_a_cluster_node() {
    init_test_tracing();
    let mut nodes = BrokerNode::start_cluster(3).await.unwrap();
    let status = nodes[0].ctl(&["cluster_status"]).await.unwrap();
    for node in &nodes {
        assert!(
            status.contains(node.node_name()),
            "{} not in the cluster:\n{status}",
            node.node_name()
        );
    }
    let prefix = tm_testkit::unique_prefix();
    let first = tokio::time::timeout(PATIENCE, Bus::connect(&settings(&nodes[0], &prefix), "test-node0"))
        .await
        .unwrap()
        .unwrap();
    let publisher = first.publisher().await.unwrap();
    for n in 0..10 {
        publisher.publish(&post(n)).await.unwrap();
    }
    assert_eq!(first.queue_depth(CommandQueue::CmsPosts).await.unwrap(), 10);
    first.close().await;

    nodes[0].kill().await.unwrap();
    let second = tokio::time::timeout(PATIENCE, Bus::connect(&settings(&nodes[1], &prefix), "test-node1"))
        .await
        .unwrap()
        .unwrap();
    // A new leader is elected among the two survivors; until then the queue may not answer.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        match second.queue_depth(CommandQueue::CmsPosts).await {
            Ok(10) => break,
            other => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "queue depth after the kill: {other:?}"
                );
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
    second.close().await;
}

/// Both buses are given all three nodes' URLs (as `bus.url` takes a cluster) and start on the
/// first. Its kill -9 mid-stream takes their connection and the queue's leader: they move to a
/// survivor, publishing resumes once a new leader is elected, and every confirmed command is
/// consumed. Before the publisher retired a channel after a nack, the surviving node nacked
/// every publish on the reconnected channel for as long as the test waited.
///
/// Posts sent in all, and how many before the kill.
const POSTS: usize = 400;
const KILL_AFTER: usize = 100;
/// Long enough for a quorum-queue leader election and a reconnect on a loaded machine.
const LOAD_PATIENCE: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_under_load_loses_no_confirmed_command() {
    init_test_tracing();
    let mut nodes = BrokerNode::start_cluster(3).await.unwrap();
    let prefix = tm_testkit::unique_prefix();
    let cfg = BusConfig {
        url: nodes.iter().map(BrokerNode::amqp_url).collect::<Vec<_>>().join(","),
        ..BusConfig::for_test(&prefix)
    };
    let publishing = Bus::start(&cfg, "test-cluster-publisher").unwrap();
    let consuming = Bus::start(&cfg, "test-cluster-consumer").unwrap();
    for bus in [&publishing, &consuming] {
        tokio::time::timeout(LOAD_PATIENCE, bus.wait_connected())
            .await
            .unwrap()
            .unwrap();
    }

    let seen = Seen::default();
    let stop = CancellationToken::new();
    let consumer = tokio::spawn({
        let (bus, seen, stop) = (consuming.clone(), seen.clone(), stop.clone());
        async move {
            let handler = move |env: RawEnvelope| {
                let seen = seen.clone();
                async move {
                    seen.push(env.decode::<PostSubmit>().unwrap().id);
                    Ok(())
                }
            };
            bus.consume(CommandQueue::CmsPosts, handler, stop).await
        }
    });

    // Both buses took the first URL: killing that node takes away their connection and, most
    // likely, the queue's leader.
    let publisher = publishing.publisher().await.unwrap();
    let mut confirmed = HashSet::new();
    let mut pace = tokio::time::interval(Duration::from_millis(5));
    for n in 0..POSTS {
        if n == KILL_AFTER {
            tracing::info!(node = nodes[0].node_name(), "killing the first node");
            nodes[0].kill().await.unwrap();
        }
        pace.tick().await;
        let env = post(n);
        let until = CancellationToken::new();
        let deadline = tokio::spawn({
            let until = until.clone();
            async move {
                tokio::time::sleep(LOAD_PATIENCE).await;
                until.cancel();
            }
        });
        publisher
            .publish_retrying(&env, &until)
            .await
            .unwrap_or_else(|e| panic!("post {n} was never confirmed by the surviving nodes: {e}"));
        deadline.abort();
        confirmed.insert(env.id);
    }

    wait_until(LOAD_PATIENCE, "every confirmed post is consumed", || {
        confirmed.is_subset(&seen.distinct())
    })
    .await;
    stop.cancel();
    let _ = tokio::time::timeout(LOAD_PATIENCE, consumer).await;
    assert_eq!(confirmed.len(), POSTS);
    // At-least-once: a delivery in flight when its node died may come again; none is lost.
    let distinct = seen.distinct();
    assert!(confirmed.is_subset(&distinct));
    assert!(
        seen.count() - distinct.len() <= KILL_AFTER,
        "redeliveries are bounded by what was in flight"
    );
    publishing.close().await;
    consuming.close().await;
}
