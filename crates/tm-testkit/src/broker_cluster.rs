//! A private three-node (or any size) RabbitMQ cluster for one test, built from [`BrokerNode`]s
//! that share an Erlang cookie: the first node boots, the others boot beside it and join it with
//! `rabbitmqctl join_cluster`. Quorum queues declared on it then have a member on every node,
//! so one node can be killed -9 while the others keep serving.

use std::io;

use futures_util::future::try_join_all;

use crate::broker_node::{BrokerNode, BrokerNodeOptions};

/// A running cluster; dropping it kills every node and removes their data.
pub struct BrokerCluster {
    nodes: Vec<BrokerNode>,
}

impl BrokerCluster {
    /// Boots `size` nodes (in parallel) and clusters them with the first.
    pub async fn start(size: usize) -> io::Result<BrokerCluster> {
        if size == 0 {
            return Err(io::Error::other("a cluster needs at least one node"));
        }
        let cookie = format!("TMTEST{}", uuid::Uuid::new_v4().simple()).to_uppercase();
        let nodes =
            try_join_all((0..size).map(|_| BrokerNode::start_with(BrokerNodeOptions::default(), Some(&cookie))))
                .await?;
        let seed = nodes[0].node_name().to_owned();
        for node in &nodes[1..] {
            node.ctl(&["stop_app"]).await?;
            node.ctl(&["join_cluster", &seed]).await?;
            node.ctl(&["start_app"]).await?;
        }
        let status = nodes[0].ctl(&["cluster_status", "--formatter", "json"]).await?;
        for node in &nodes {
            if !status.contains(node.node_name()) {
                return Err(io::Error::other(format!(
                    "{} did not join the cluster: {status}",
                    node.node_name()
                )));
            }
        }
        tracing::info!(size, seed, "private broker cluster up");
        Ok(BrokerCluster { nodes })
    }

    /// Every node's AMQP URL, comma-separated: the form `bus.url` takes for a cluster.
    pub fn amqp_urls(&self) -> String {
        self.nodes
            .iter()
            .map(BrokerNode::amqp_url)
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn node(&self, index: usize) -> &BrokerNode {
        &self.nodes[index]
    }

    pub fn node_mut(&mut self, index: usize) -> &mut BrokerNode {
        &mut self.nodes[index]
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}
