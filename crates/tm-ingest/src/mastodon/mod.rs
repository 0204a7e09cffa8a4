//! The Mastodon source: one streaming WebSocket with in-band hashtag subscriptions.
//!
//! * [`html`]: a status's HTML `content` reduced to plain text;
//! * [`model`]: the streaming frames and Status JSON, and status → `ingest.item`;
//! * [`source`]: the connection loop, following the same reconnect table as Twitter.

pub mod html;
pub mod model;
pub mod source;

pub use source::MastodonSource;
