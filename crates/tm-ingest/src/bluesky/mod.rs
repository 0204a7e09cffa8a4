//! The Bluesky source: one Jetstream WebSocket carrying every post of the network, filtered here
//! against the watched hashtags.
//!
//! * [`model`]: the Jetstream frames, the hashtag filter and the handle / delivered memories;
//! * [`state`]: the cursor and the delivered posts in the state directory;
//! * [`source`]: the connection loop with endpoint failover, following the same reconnect table
//!   as the other sources.

pub mod model;
pub mod source;
pub mod state;

pub use source::BlueskySource;
