//! tm-gateway: holds browsers' WebSockets (and, where those are blocked, server-sent event
//! streams, `GET /sse`) for live rooms.
//!
//! * A client joins a room with a join token signed by tm-cms ([`tm_core::JoinClaims`]); the
//!   gateway never needs the database.
//! * The instance has one exclusive queue on `tm.events`, bound to `room.<id>.#` for exactly the
//!   rooms it has sockets in ([`link`]). Each event is framed once and the same bytes go to every
//!   subscriber's bounded queue ([`hub`]); a client that cannot keep up is closed with 1013.
//! * Every socket gets its room's events in strictly increasing `seq`, without gaps or repeats;
//!   when the gateway cannot guarantee that (a gap on the bus, a broker outage, a `since` older
//!   than its buffer) it sends `reset` and the client refetches from the CMS ([`hub`]).
//! * Posts become confirmed `post.submit` commands, acknowledged as `accepted` ([`session`]).
//! * Presence is counted across gateways with `room.<id>.presence` events ([`announce`]).
//! * Live reactions are counted per room per second and broadcast once a second, added up
//!   across gateways with `room.<id>.reactions` events ([`reactions`]).
//!
//! The wire contract is docs/protocol.md; [`protocol`] is its only implementation here.

mod announce;
pub mod config;
pub mod context;
mod http;
pub mod hub;
pub mod inbound;
mod link;
pub mod metrics;
pub mod protocol;
mod reactions;
pub mod session;
pub mod startup;

pub use config::{Settings, SettingsError};
pub use startup::{Application, StartupError};

/// The service's name as it appears in logs and in the `producer` field of events.
pub const SERVICE: &str = "tm-gateway";
