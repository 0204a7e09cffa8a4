//! tm-core: the vocabulary the three services share.
//!
//! * [`domain`]: newtypes parsed once at the edge (`RoomSlug`, `Nickname`, `MessageBody`,
//!   `Hashtag`, `Lifetime`); inside the system an invalid value cannot exist.
//! * [`parse_list`]: a message body split into text, url, mention and hashtag tokens.
//! * [`event`]: the envelope and every event and command that crosses the bus.
//! * [`join_token`] and [`keys`]: the shared secret, its rules and the keys derived from it.
//! * [`word_filter`]: a room's blocked words and phrases, and how posts are matched against them.
//!
//! This crate carries no infrastructure (no database, broker, HTTP or async runtime); CI checks
//! that with `cargo tree`.

pub mod domain;
pub mod event;
pub mod join_token;
pub mod keys;
pub mod parse_list;
pub mod word_filter;

pub use domain::{
    Hashtag, Lifetime, MessageBody, Nickname, Reaction, ReactionSet, RoomSlug, ValidationError, DEFAULT_MAX_BODY_CHARS,
    HARD_MAX_BODY_BYTES, HARD_MAX_BODY_CHARS,
};
pub use event::{Envelope, Event, RawEnvelope, Routing};
pub use join_token::{JoinClaims, JoinTokenError, Role};
pub use parse_list::{parse_body, Token};
pub use word_filter::{BlockedWords, BlockedWordsError};
