//! One integration binary for all end-to-end scenarios (one link step, shared helpers).
//!
//! Each scenario starts its own installation (database, broker prefix, ports, processes) and
//! prints its counts: sent, stored, delivered, duplicates, gaps.

mod failures;
mod happy_path;
mod report;
