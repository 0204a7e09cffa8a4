//! The Twitter (X API v2) filtered-stream source.
//!
//! * [`rules`]: the rule set a watch list asks for and the add/delete plan (pure);
//! * [`api`]: the HTTP endpoints (rules, stream) with a configurable base URL;
//! * [`stream`]: the line-delimited body reader with keep-alives and stall detection;
//! * [`model`]: the stream's JSON and tweet → `ingest.item`;
//! * [`source`]: the stream connection loop; `reconcile`: the rules loop beside it.

pub mod api;
pub mod model;
mod reconcile;
pub mod rules;
pub mod source;
pub mod stream;

pub use source::TwitterSource;
