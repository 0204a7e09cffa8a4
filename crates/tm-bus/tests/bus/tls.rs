//! `amqps://` really is TLS: it works against a TLS listener whose certificate the bus trusts,
//! and fails (instead of talking AMQP in clear) against a plain listener or an untrusted
//! certificate. Each test starts its own broker node, so nothing touches the shared broker.

use std::time::Duration;

use tm_bus::{Bus, BusConfig, BusError, CommandQueue};
use tm_testkit::{BrokerNode, BrokerNodeOptions};

use tm_testkit::init_test_tracing;

use crate::helpers::PATIENCE;

/// Long enough for several connection attempts (backoff is capped at 1 s in these settings).
const ATTEMPTS: Duration = Duration::from_secs(5);

fn settings(url: String) -> BusConfig {
    BusConfig {
        url,
        ..BusConfig::for_test(&tm_testkit::unique_prefix())
    }
}

#[tokio::test]
async fn amqps_with_the_brokers_ca_connects_over_tls() {
    init_test_tracing();
    let node = BrokerNode::start(BrokerNodeOptions {
        tls: true,
        ..BrokerNodeOptions::default()
    })
    .await
    .unwrap();
    let cfg = BusConfig {
        tls_ca_file: node.ca_file(),
        ..settings(node.amqps_url().unwrap())
    };
    let bus = Bus::start(&cfg, "test-tls").unwrap();
    tokio::time::timeout(PATIENCE, bus.wait_connected())
        .await
        .unwrap_or_else(|_| panic!("no TLS connection; node log:\n{}", node.log_tail(20)))
        .unwrap();
    // The connection declared the topology, so AMQP runs over it; a confirmed publish lands.
    let publisher = bus.publisher().await.unwrap();
    publisher
        .publish(&crate::helpers::post(1))
        .await
        .expect("a confirmed publish over TLS");
    assert_eq!(bus.queue_depth(CommandQueue::CmsPosts).await.unwrap(), 1);
    bus.close().await;
}

#[tokio::test]
async fn amqps_to_a_plain_listener_fails_instead_of_connecting_in_clear() {
    init_test_tracing();
    let node = BrokerNode::start(BrokerNodeOptions::default()).await.unwrap();
    let plain = node.amqp_url();
    let cfg = settings(plain.replacen("amqp://", "amqps://", 1));
    let bus = Bus::start(&cfg, "test-amqps-plain").unwrap();
    let connected = tokio::time::timeout(ATTEMPTS, bus.wait_connected()).await;
    assert!(connected.is_err(), "amqps:// connected to a plain AMQP listener");
    assert!(!bus.is_connected());
    bus.close().await;
    // The same listener with amqp:// works: the failure above is the scheme, not the node.
    let bus = Bus::start(&settings(plain), "test-amqp-plain").unwrap();
    tokio::time::timeout(PATIENCE, bus.wait_connected())
        .await
        .unwrap()
        .unwrap();
    bus.close().await;
}

#[tokio::test]
async fn amqps_refuses_a_certificate_it_does_not_trust() {
    init_test_tracing();
    let node = BrokerNode::start(BrokerNodeOptions {
        tls: true,
        ..BrokerNodeOptions::default()
    })
    .await
    .unwrap();
    let bus = Bus::start(&settings(node.amqps_url().unwrap()), "test-untrusted").unwrap();
    let connected = tokio::time::timeout(ATTEMPTS, bus.wait_connected()).await;
    assert!(connected.is_err(), "amqps:// accepted a certificate from an unknown CA");
    bus.close().await;
}

#[test]
fn a_ca_file_needs_an_amqps_url_and_must_be_readable() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let plain = BusConfig {
            tls_ca_file: Some("/etc/hostname".into()),
            ..settings("amqp://guest:guest@broker.invalid/%2f".into())
        };
        assert!(matches!(Bus::start(&plain, "t"), Err(BusError::TlsCaFile(_))));
        let missing = BusConfig {
            tls_ca_file: Some("/nonexistent/ca.pem".into()),
            ..settings("amqps://guest:guest@broker.invalid/%2f".into())
        };
        assert!(matches!(Bus::start(&missing, "t"), Err(BusError::TlsCaFile(_))));
    });
}
