//! tm-cms: the only tm process with a database connection.
//!
//! * [`engine`]: every read and write, one transaction each, appending events to the event log;
//!   the only module with SQL, and free of HTTP;
//! * [`workers`]: the relay (event log → RabbitMQ), the bus consumers and the expiry sweeper;
//! * [`api`]: the JSON API of docs/protocol.md, with the engine's errors as HTTP answers
//!   ([`errors`]) and OpenAPI; [`web`]: the server-rendered pages;
//! * [`i18n`]: the languages pages and API messages speak (Fluent texts, negotiation);
//! * [`startup`]: [`startup::Application`] wires it together; [`config`] and [`cli`] are the edge.

pub mod api;
pub mod cli;
pub mod config;
pub mod engine;
pub mod errors;
pub mod i18n;
pub mod metrics;
pub mod startup;
pub mod web;
pub mod workers;

/// The service's name as it appears in logs and in the `producer` field of events.
pub const SERVICE: &str = "tm-cms";
