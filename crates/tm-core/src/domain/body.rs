//! The text of a message.

use unicode_normalization::UnicodeNormalization;

use super::{has_forbidden_char, string_newtype, ValidationError};

/// A room's limit unless its owner sets another.
pub const DEFAULT_MAX_BODY_CHARS: usize = 280;
/// No room may allow more characters than this.
pub const HARD_MAX_BODY_CHARS: usize = 2000;
/// Nor more bytes of UTF-8 than this, whatever the characters.
pub const HARD_MAX_BODY_BYTES: usize = 8 * 1024;

/// NFC-normalised, trimmed text of 1..=max characters. Line breaks are kept (as `\n`); other
/// control and invisible characters are refused, except joiners doing a joiner's job (emoji
/// sequences, Persian and Indic spelling; see `text`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageBody(String);
string_newtype!(MessageBody);

impl MessageBody {
    /// Parses with a room's limit; the limit itself is capped at [`HARD_MAX_BODY_CHARS`].
    pub fn parse(input: &str, max_chars: usize) -> Result<Self, ValidationError> {
        let max = max_chars.clamp(1, HARD_MAX_BODY_CHARS);
        // Refuse absurd input before normalising it: NFC can only grow text by a small factor.
        if input.len() > HARD_MAX_BODY_BYTES * 4 {
            return Err(ValidationError::BodyTooLong { max });
        }
        let normalised: String = input.replace("\r\n", "\n").nfc().collect();
        let body = normalised.trim();
        if body.is_empty() {
            return Err(ValidationError::BodyEmpty);
        }
        if has_forbidden_char(body, true) {
            return Err(ValidationError::InvalidBody);
        }
        if body.chars().count() > max || body.len() > HARD_MAX_BODY_BYTES {
            return Err(ValidationError::BodyTooLong { max });
        }
        Ok(MessageBody(body.to_owned()))
    }

    /// Parses with the default limit.
    pub fn parse_default(input: &str) -> Result<Self, ValidationError> {
        Self::parse(input, DEFAULT_MAX_BODY_CHARS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_keeps_line_breaks() {
        let body = MessageBody::parse_default("  hello\r\nworld  ").unwrap();
        assert_eq!(body.as_str(), "hello\nworld");
    }

    #[test]
    fn empty_after_trim_is_body_empty() {
        assert_eq!(MessageBody::parse_default(" \n\t "), Err(ValidationError::BodyEmpty));
        assert_eq!(ValidationError::BodyEmpty.code(), "body_empty");
    }

    #[test]
    fn counts_characters_after_nfc() {
        // "e" + combining acute is one character after NFC.
        let decomposed = "e\u{301}".repeat(280);
        let body = MessageBody::parse_default(&decomposed).unwrap();
        assert_eq!(body.as_str().chars().count(), 280);
        assert_eq!(
            MessageBody::parse_default(&"a".repeat(281)),
            Err(ValidationError::BodyTooLong { max: 280 })
        );
        assert!(MessageBody::parse(&"a".repeat(500), 500).is_ok());
    }

    #[test]
    fn limit_is_capped_by_characters_and_bytes() {
        assert_eq!(
            MessageBody::parse(&"a".repeat(2001), 5000),
            Err(ValidationError::BodyTooLong { max: 2000 })
        );
        // 2000 four-byte characters are 8000 bytes: allowed; 2000 chars of 3+ bytes beyond 8 KiB not.
        assert!(MessageBody::parse(&"😀".repeat(2000), 2000).is_ok());
        assert_eq!(
            MessageBody::parse(&"😀".repeat(2049), 5000),
            Err(ValidationError::BodyTooLong { max: 2000 })
        );
        let big = "a".repeat(HARD_MAX_BODY_BYTES * 5);
        assert!(matches!(
            MessageBody::parse(&big, 2000),
            Err(ValidationError::BodyTooLong { .. })
        ));
    }

    #[test]
    fn accepts_joiners_in_emoji_and_persian_and_refuses_bidi_overrides() {
        for good in ["I am a 👩\u{200D}💻", "می\u{200C}خواهم بروم"] {
            assert_eq!(MessageBody::parse_default(good).unwrap().as_str(), good);
        }
        for bad in ["a\u{200D}b", "\u{202E}gnp.exe", "\u{2066}x\u{2069}"] {
            assert_eq!(
                MessageBody::parse_default(bad),
                Err(ValidationError::InvalidBody),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn refuses_invisible_and_control_characters() {
        for bad in ["a\u{0}b", "rtl\u{202E}txt", "zw\u{200B}sp", "tag\u{E0041}", "bell\u{7}"] {
            assert_eq!(
                MessageBody::parse_default(bad),
                Err(ValidationError::InvalidBody),
                "{bad:?}"
            );
        }
    }
}
