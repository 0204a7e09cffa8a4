//! Room names as they appear in URLs: `/r/physics-101`.

use super::{string_newtype, ValidationError};

/// Path segments the site itself uses, and names that would mislead.
const RESERVED: &[&str] = &[
    "api",
    "admin",
    "static",
    "ws",
    "p",
    "r",
    "new",
    "about",
    "help",
    "privacy",
    "terms",
    "login",
    "logout",
    "healthz",
    "readyz",
    "metrics",
    "assets",
    "www",
    "root",
    "owner",
    "embed",
    "projector",
    "transcript",
];

/// A valid room name: 3–64 characters of `a-z0-9-`, no dash at either end, no double dash,
/// not reserved. Upper-case ASCII input is folded to lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoomSlug(String);
string_newtype!(RoomSlug);

impl RoomSlug {
    pub const MIN_LEN: usize = 3;
    pub const MAX_LEN: usize = 64;

    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let slug = input.trim().to_ascii_lowercase();
        let well_formed = (Self::MIN_LEN..=Self::MAX_LEN).contains(&slug.len())
            && slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !slug.starts_with('-')
            && !slug.ends_with('-')
            && !slug.contains("--");
        if !well_formed {
            return Err(ValidationError::InvalidName);
        }
        if RESERVED.contains(&slug.as_str()) {
            return Err(ValidationError::ReservedName(slug));
        }
        Ok(RoomSlug(slug))
    }
}

impl<'de> serde::Deserialize<'de> for RoomSlug {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RoomSlug::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_names_and_folds_case() {
        assert_eq!(RoomSlug::parse("physics-101").unwrap().as_str(), "physics-101");
        assert_eq!(RoomSlug::parse("  Physics-101 ").unwrap().as_str(), "physics-101");
        assert_eq!(RoomSlug::parse("abc").unwrap().as_str(), "abc");
        assert!(RoomSlug::parse(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn enforces_length() {
        assert_eq!(RoomSlug::parse("ab"), Err(ValidationError::InvalidName));
        assert_eq!(RoomSlug::parse(&"a".repeat(65)), Err(ValidationError::InvalidName));
        assert_eq!(RoomSlug::parse(""), Err(ValidationError::InvalidName));
    }

    #[test]
    fn enforces_alphabet_and_dashes() {
        for bad in [
            "-abc", "abc-", "ab--cd", "ab_cd", "ab cd", "ab.cd", "äbc", "ab/cd", "ab%2f",
        ] {
            assert_eq!(RoomSlug::parse(bad), Err(ValidationError::InvalidName), "{bad}");
        }
        assert!(RoomSlug::parse("a-b-c").is_ok());
    }

    #[test]
    fn rejects_reserved_names() {
        for name in ["api", "admin", "static", "ADMIN", "metrics"] {
            assert!(
                matches!(RoomSlug::parse(name), Err(ValidationError::ReservedName(_))),
                "{name}"
            );
        }
        // `ws`, `p` and `r` are refused by length already, and reserved should the minimum change.
        for name in ["ws", "p", "r"] {
            assert!(RESERVED.contains(&name) && RoomSlug::parse(name).is_err(), "{name}");
        }
        assert_eq!(ValidationError::ReservedName("api".into()).code(), "invalid_name");
    }

    #[test]
    fn deserialize_validates() {
        assert!(serde_json::from_str::<RoomSlug>("\"ok-room\"").is_ok());
        assert!(serde_json::from_str::<RoomSlug>("\"no--room\"").is_err());
    }
}
