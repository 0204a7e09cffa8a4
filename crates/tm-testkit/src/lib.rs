//! Test helpers shared by tm's crates (dev-dependency only; depends on no service).
//!
//! - [`ChaosProxy`]: a TCP proxy in front of a real server (RabbitMQ, MariaDB) whose link a
//!   test can [`cut`](ChaosProxy::cut) and [`restore`](ChaosProxy::restore);
//! - [`NoWebSocketProxy`]: an HTTP proxy that refuses WebSocket upgrades and passes everything
//!   else, as school proxies do;
//! - [`BrokerNode`]: a private `rabbitmq-server` node (own name, ports, data directory; plain
//!   and optionally TLS listeners) that a test can kill -9 and restart;
//! - [`sse::SseParser`]: reads a server-sent events stream as a browser's `EventSource` does;
//! - [`wait_until`]: poll a condition with a deadline instead of sleeping;
//! - [`fake_twitter`], [`fake_mastodon`] and [`fake_jetstream`]: local servers that speak the
//!   Twitter v2 filtered stream, Mastodon streaming and Bluesky Jetstream protocols of
//!   docs/sources.md byte for byte, so the real ingest client runs against them;
//! - [`unique_prefix`]: a name prefix that isolates one test from every other on a shared
//!   broker or database;
//! - [`database_url`], [`amqp_url`] (and their addresses, [`url_via`] for a proxy): the test
//!   servers, from `TM_TEST_DATABASE_URL` / `TM_TEST_AMQP_URL` or the local defaults;
//!   [`init_test_tracing`]: one log setup for every test binary.

mod broker_node;
mod chaos;
pub mod fake_jetstream;
pub mod fake_mastodon;
pub mod fake_twitter;
mod no_websocket_proxy;
mod servers;
pub mod sse;
mod wait;

pub use broker_node::{BrokerNode, BrokerNodeOptions};
pub use chaos::ChaosProxy;
pub use no_websocket_proxy::NoWebSocketProxy;
pub use servers::{
    amqp_addr, amqp_url, database_addr, database_url, database_url_for, init_test_tracing, url_via, DEFAULT_AMQP_URL,
    DEFAULT_DATABASE_URL,
};
pub use wait::{wait_until, wait_until_async};

/// `test-<uuid>.`: prefix every exchange, queue or table a test creates with this.
pub fn unique_prefix() -> String {
    format!("test-{}.", uuid::Uuid::new_v4().simple())
}
