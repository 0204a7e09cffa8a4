//! Properties of the parse list that must hold for every body.

// Test helpers panic on purpose: a failed step should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use tm_core::{parse_body, Token};

fn body_strategy() -> impl Strategy<Value = String> {
    // Mix of plain text, markup-looking text, markers and link-ish fragments.
    let piece = prop_oneof![
        "[a-zA-Z0-9 .,!?()]{0,12}",
        Just("@".to_owned()),
        Just("#".to_owned()),
        Just("http://".to_owned()),
        Just("https://ex.org/p?q=1&r=2".to_owned()),
        Just("<script>alert(1)</script>".to_owned()),
        Just("\"'><img src=x onerror=alert(1)>".to_owned()),
        Just("javascript:alert(1)".to_owned()),
        "\\PC{0,6}",
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn tokens_give_back_the_body(body in body_strategy()) {
        let joined: String = parse_body(&body).iter().map(Token::source_text).collect();
        prop_assert_eq!(joined, body);
    }

    #[test]
    fn no_token_but_text_carries_markup(body in body_strategy()) {
        for token in parse_body(&body) {
            match token {
                Token::Text { text } => prop_assert!(!text.is_empty()),
                Token::Url { url } => {
                    let lower = url.to_ascii_lowercase();
                    prop_assert!(lower.starts_with("http://") || lower.starts_with("https://"));
                    prop_assert!(!url.contains(['<', '>', '"', '\'', '`']) && !url.contains(char::is_whitespace));
                }
                Token::Mention { nickname } => {
                    prop_assert!(!nickname.is_empty());
                    prop_assert!(nickname.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-'));
                }
                Token::Hashtag { tag } => {
                    prop_assert!(tag.chars().all(|c| c.is_alphanumeric() || c == '_'));
                    prop_assert!(!tag.chars().all(|c| c.is_ascii_digit()));
                }
            }
        }
    }

    #[test]
    fn adjacent_text_tokens_are_merged(body in body_strategy()) {
        let tokens = parse_body(&body);
        for pair in tokens.windows(2) {
            let both_text = matches!(pair[0], Token::Text { .. }) && matches!(pair[1], Token::Text { .. });
            prop_assert!(!both_text);
        }
    }
}
