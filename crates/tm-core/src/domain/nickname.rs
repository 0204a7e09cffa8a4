//! What a participant calls themselves.

use super::{has_forbidden_char, string_newtype, ValidationError};

/// 1–32 characters after trimming, none of them control or invisible.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nickname(String);
string_newtype!(Nickname);

impl Nickname {
    pub const MAX_CHARS: usize = 32;

    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let nick = input.trim();
        let chars = nick.chars().count();
        if chars == 0 || chars > Self::MAX_CHARS || has_forbidden_char(nick, false) {
            return Err(ValidationError::InvalidNickname);
        }
        Ok(Nickname(nick.to_owned()))
    }
}

impl<'de> serde::Deserialize<'de> for Nickname {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Nickname::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_accepts_unicode() {
        assert_eq!(Nickname::parse("  Ada ").unwrap().as_str(), "Ada");
        assert!(Nickname::parse("Zoë 😀").is_ok());
        assert!(Nickname::parse(&"漢".repeat(32)).is_ok());
    }

    #[test]
    fn accepts_joiners_that_join() {
        assert!(Nickname::parse("👩\u{200D}💻 Ada").is_ok());
        assert!(Nickname::parse("می\u{200C}خواهم").is_ok());
        assert_eq!(Nickname::parse("A\u{200D}da"), Err(ValidationError::InvalidNickname));
    }

    #[test]
    fn enforces_length_in_characters() {
        assert_eq!(Nickname::parse("   "), Err(ValidationError::InvalidNickname));
        assert_eq!(Nickname::parse(""), Err(ValidationError::InvalidNickname));
        assert_eq!(Nickname::parse(&"漢".repeat(33)), Err(ValidationError::InvalidNickname));
    }

    #[test]
    fn rejects_control_bidi_zero_width_and_tags() {
        for bad in [
            "a\u{0}b",
            "a\nb",
            "evil\u{202E}gnp",
            "a\u{200B}b",
            "a\u{2066}b",
            "a\u{E0041}",
        ] {
            assert_eq!(Nickname::parse(bad), Err(ValidationError::InvalidNickname), "{bad:?}");
        }
    }
}
