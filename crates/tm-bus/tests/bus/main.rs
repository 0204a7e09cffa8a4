//! tm-bus against the real RabbitMQ (`tm_testkit::amqp_url()`), one integration binary.
//!
//! Every test declares its own topology under a unique name prefix and deletes it at the end,
//! so tests run in parallel with each other and with other runs on the same broker. Faults are
//! injected only through a `ChaosProxy` between the bus and the broker; TLS is tested against a
//! private node (`tm_testkit::BrokerNode`) with its own listener and certificate.

// clippy.toml allows these only inside #[test] fns; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod chaos;
mod cluster;
mod consumer;
mod helpers;
mod lock;
mod publisher;
mod subscription;
mod tls;
mod topology;
