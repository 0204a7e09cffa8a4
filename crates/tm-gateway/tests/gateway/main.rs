//! tm-gateway end to end: a real gateway on port 0, the real RabbitMQ (each test under its own
//! name prefix), real WebSocket clients, and the bus traffic of the CMS.

// Test code: a failed unwrap is a failed test (clippy exempts `#[test]` fns, not helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod limits;
mod live;
mod operations;
mod outage;
mod posts;
mod presence;
mod reactions;
mod resume;
mod sse;
mod support;
