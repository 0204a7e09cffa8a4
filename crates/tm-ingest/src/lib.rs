//! tm-ingest: hashtag matches from Twitter (v2 filtered stream), Mastodon (streaming API) and
//! Bluesky (Jetstream) become `ingest.item` commands for tm-cms (and a Bluesky post deleted
//! upstream an `ingest.retract`). It never touches the database and is never the
//! reason another service fails: it only publishes commands and reads its own queue.
//!
//! * [`watch`] — the watch list (rooms → hashtags) from `sources.*` events ([`bus`]), kept
//!   across restarts by the durable queue, the snapshot request and an optional [`state`] file;
//! * [`twitter`], [`mastodon`] and [`bluesky`] — one long-lived connection per source, each following the
//!   reconnect table in [`backoff`] through an injectable [`clock::Sleeper`];
//! * [`delivery`] — the bounded, deduplicating buffer in front of the confirmed publisher;
//! * [`active`] — single-active across instances, with the broker as the lock
//!   ([`tm_bus::ExclusiveLock`]);
//! * [`metrics`] — what `/metrics` reports; tm-runtime's ops listener serves it, `/healthz`
//!   and `/readyz`;
//! * [`startup`] — wiring, used by `main.rs` and the tests.

pub mod active;
pub mod backoff;
pub mod bluesky;
pub mod bus;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod mastodon;
pub mod metrics;
pub mod startup;
pub mod state;
pub mod twitter;
pub mod watch;

pub use config::Settings;
pub use startup::{Application, StartupError};

/// The service's name as it appears in logs and in the `producer` field of events.
pub const SERVICE: &str = "tm-ingest";
