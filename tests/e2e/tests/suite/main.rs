//! One integration binary for all end-to-end scenarios (one link step, shared helpers).
//!
//! Each scenario starts its own installation (database, broker prefix, ports, processes) and
//! prints its counts: sent, stored, delivered, duplicates, gaps.

// Helpers here are test code: a failed step should panic with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod a11y_browser;
mod admin_cli;
mod bluesky;
mod browser;
mod browser_home;
mod browser_owner;
mod browser_times;
mod contract;
mod dev_services;
mod failures;
mod faults;
mod happy_path;
mod i18n_browser;
mod ingest;
mod make_run;
mod moderators_browser;
mod openapi_fuzz;
mod privacy;
mod qa_browser;
mod reactions_browser;
mod report;
mod sse;
