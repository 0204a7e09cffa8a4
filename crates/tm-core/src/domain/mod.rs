//! Domain newtypes, each parsed once at the edge with all of its rules.

mod body;
mod error;
mod hashtag;
mod lifetime;
mod nickname;
mod reaction;
mod slug;
mod text;

pub use body::{MessageBody, DEFAULT_MAX_BODY_CHARS, HARD_MAX_BODY_BYTES, HARD_MAX_BODY_CHARS};
pub use error::ValidationError;
pub use hashtag::Hashtag;
pub use lifetime::Lifetime;
pub use nickname::Nickname;
pub use reaction::{Reaction, ReactionSet, DEFAULT_REACTIONS, MAX_REACTIONS};
pub use slug::RoomSlug;
pub use text::{has_forbidden_char, is_forbidden_char, strip_forbidden};

/// Implements `as_str`, `Display`, `AsRef<str>` and string serde for a validated newtype.
macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    };
}
pub(crate) use string_newtype;
