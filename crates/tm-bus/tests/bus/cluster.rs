//! A three-node RabbitMQ cluster of private nodes: commands on a quorum queue survive the
//! kill -9 of the node the bus published through.

use std::time::Duration;

use tm_bus::{Bus, BusConfig, CommandQueue};
use tm_testkit::BrokerNode;

use crate::helpers::{config, init_tracing, post, PATIENCE};

fn settings(node: &BrokerNode, prefix: &str) -> BusConfig {
    config(prefix, node.amqp_addr())
}

#[tokio::test]
async fn quorum_queue_commands_survive_the_kill_of_a_cluster_node() {
    init_tracing();
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
