//! tm-bus: the only crate that speaks AMQP (RabbitMQ, via lapin).
//!
//! What it gives the services:
//! - [`Bus`]: one supervised connection per process. It connects in the background and
//!   **never gives up**: unbounded exponential backoff with jitter, capped (30 s by default),
//!   heartbeat 10 s. A service that starts while the broker is down waits; after an outage
//!   everything re-declares itself. Every (re)connect declares the whole topology
//!   ([`topology`]).
//! - [`Publisher`]: confirmed, persistent publishes; commands are `mandatory`. `Ok` means the
//!   broker confirmed (and, for a command, queued) the message. A nack, a return, a lost
//!   connection or a missing confirm is an `Err`: **never "sent" when it was not**.
//!   [`Publisher::publish_retrying`] retries across outages until confirmed.
//! - [`Bus::consume`]: manual acks after the handler succeeds, prefetch, sequential handling.
//!   Transient handler errors are retried in place (never requeued or dead-lettered); poison
//!   and undecodable messages go to `tm.dead.<queue>`. Resumes by itself after outages.
//! - [`Subscription`]: an exclusive (per instance) or durable queue on `tm.events` whose
//!   bindings survive reconnects, with a [`SubscriptionEvent::Recovered`] marker after each.
//! - [`ExclusiveLock`]: the broker as a single-active lock (an exclusive queue on a connection
//!   of its own); a held lock is recognised by the broker's reply code, not by error text.
//!
//! Delivery is **at least once**: after an outage a message can arrive twice (an ack lost with
//! the connection, or a publish confirmed on the broker but not to us). Every consumer is
//! idempotent on the envelope id, which is the AMQP `message_id`.
//!
//! # Why our own reconnect loop and not lapin's `enable_auto_recover()`
//! lapin 4.12 can recover a connection and replay the channels, queues, bindings and consumers
//! it recorded. We keep it off and supervise the connection ourselves (module `link`) because:
//! - lapin's recovery backoff runs in its IO thread (`std::thread::sleep`) and gives up after a
//!   finite number of attempts (16 by default, then the connection is dead for good); the
//!   initial connect is a separate path. We need one unbounded, cancellable policy for both;
//! - a subscription must *know* that a recovery happened (its exclusive queue and any messages
//!   in it are gone), must re-declare a server-named queue and re-apply bindings that changed
//!   while disconnected; with our loop that is plain code keyed on a connection generation;
//! - errors stay simple: a channel's operations fail once the connection is gone, and the next
//!   attempt uses the next connection. Nothing is half-recovered.
//!
//! A lapin behaviour to know: each connection attempt runs in its own IO thread, and dropping
//! the `connect` future (e.g. on a timeout) does **not** stop that thread: it keeps the socket
//! and waits for the handshake. Against a broker that accepts TCP but never answers (RabbitMQ
//! out of socket slots: it logs "Limiting to approx N file handles (M sockets)" at boot) a
//! timeout-and-retry loop leaks one thread and one socket per attempt, and each leaked socket
//! takes another slot from the broker. The supervisor therefore first probes the broker on a
//! socket it owns (AMQP header → first byte back) and lets lapin connect only after that.
//!
//! The chaos-proxy tests in `tests/bus/` prove the guarantees above.

mod backoff;
mod bus;
mod config;
mod consumer;
mod error;
mod link;
mod lock;
mod names;
mod publisher;
mod subscription;
pub mod topology;

pub use bus::{Bus, DeadLetter};
pub use config::BusConfig;
pub use consumer::{Handler, CONTENDED_RETRIES, DEAD_REASON_HEADER};
pub use error::{AmqpError, BusError, HandleError, PublishError};
pub use lock::ExclusiveLock;
pub use names::{CommandQueue, Exchange, Names};
pub use publisher::Publisher;
pub use subscription::{Incoming, QueueKind, SubscribeSpec, Subscription, SubscriptionEvent};
pub use tokio_util::sync::CancellationToken;
