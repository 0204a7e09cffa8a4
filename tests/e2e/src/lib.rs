//! tm-e2e: drives the three real tm binaries as processes against real MariaDB and RabbitMQ.
//!
//! * [`services`]: start, stop (SIGTERM), kill (SIGKILL) and restart `tm-cms`, `tm-gateway`
//!   and `tm-ingest`, each with its own ports, database and broker name prefix.
//! * [`db`]: a throw-away database per test.
//! * [`browser`]: headless Chromium driven over WebDriver (Debian `chromium` + `chromium-driver`).
//! * [`a11y`]: axe-core's WCAG 2.2 AA checks run in that browser.
//! * [`live`]: a WebSocket client that joins a room and records what it receives.
//!
//! The binaries are the ones `cargo build --bins` put next to this test executable; `make test`
//! builds them first.

pub mod a11y;
pub mod browser;
pub mod db;
pub mod live;
pub mod ports;
pub mod services;
pub mod system;
