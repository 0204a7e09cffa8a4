//! A hashtag a room follows, stored without `#`, NFC-normalised and in lower case.

use unicode_normalization::UnicodeNormalization;

use super::{string_newtype, ValidationError};

/// 1–100 letters, digits or underscores, not only digits (Twitter's and Mastodon's rule).
/// A leading `#` is accepted and dropped. The same tag typed with combining marks or
/// precomposed letters (`Ü` as `U` + `¨` or as `Ü`) is the same hashtag: NFC, then lower case,
/// as message bodies are normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hashtag(String);
string_newtype!(Hashtag);

impl Hashtag {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let trimmed = input.trim();
        let tag = trimmed.strip_prefix('#').unwrap_or(trimmed);
        // Hashtags are short: anything far over the limit is refused before normalising it.
        if tag.len() > Self::MAX_CHARS * 8 {
            return Err(ValidationError::InvalidHashtag);
        }
        let normalised: String = tag.nfc().collect();
        let tag = normalised.as_str();
        let chars = tag.chars().count();
        let ok = (1..=Self::MAX_CHARS).contains(&chars)
            && tag.chars().all(is_hashtag_char)
            && !tag.chars().all(|c| c.is_ascii_digit());
        if !ok {
            return Err(ValidationError::InvalidHashtag);
        }
        Ok(Hashtag(tag.to_lowercase()))
    }
}

/// A character that may appear in a hashtag (also used by the parse list).
pub(crate) fn is_hashtag_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl<'de> serde::Deserialize<'de> for Hashtag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Hashtag::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_hash_and_folds_case() {
        assert_eq!(Hashtag::parse("#Physics101").unwrap().as_str(), "physics101");
        assert_eq!(Hashtag::parse("edu_chat").unwrap().as_str(), "edu_chat");
        assert_eq!(Hashtag::parse("#Ünïcode").unwrap().as_str(), "ünïcode");
    }

    #[test]
    fn combining_marks_and_precomposed_letters_are_the_same_tag() {
        assert_eq!(
            Hashtag::parse("#U\u{0308}ber").unwrap(),
            Hashtag::parse("#\u{00DC}ber").unwrap()
        );
        assert_eq!(Hashtag::parse("#U\u{0308}ber").unwrap().as_str(), "\u{00FC}ber");
    }

    #[test]
    fn rejects_bad_tags() {
        for bad in ["", "#", "##a", "12345", "a b", "a-b", "a.b", "<b>", &"a".repeat(101)] {
            assert_eq!(Hashtag::parse(bad), Err(ValidationError::InvalidHashtag), "{bad:?}");
        }
    }
}
