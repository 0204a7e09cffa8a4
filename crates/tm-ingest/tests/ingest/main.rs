//! tm-ingest against local fakes of Twitter, Mastodon and Bluesky Jetstream and the real RabbitMQ: one
//! integration binary, one module per feature. Each test uses its own broker name prefix.

// clippy.toml allows these only inside #[test] fns; the fakes and helpers are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::result_large_err)]

#[path = "../support/mod.rs"]
mod support;

mod bluesky;
mod delivery;
mod mastodon;
mod ops;
mod reconnect;
mod single_active;
mod twitter;
mod watch_list;
