//! tm-ingest: filled in by its own issue; for now it only proves the workspace builds.

/// The service's name as it appears in logs and in the `producer` field of events.
pub const SERVICE: &str = "tm-ingest";
