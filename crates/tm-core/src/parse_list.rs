//! The parse list: a message body as a list of tokens (after Convore).
//!
//! Renderers walk the tokens and escape each one; nothing here produces markup. Joining the
//! tokens' source text ([`Token::source_text`]) gives back the body exactly.

use serde::{Deserialize, Serialize};

use crate::domain::Hashtag;

/// One piece of a body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Token {
    /// Plain text, shown as is (escaped).
    Text { text: String },
    /// An `http` or `https` link, exactly as written.
    Url { url: String },
    /// `@nickname`, without the `@`.
    Mention { nickname: String },
    /// `#tag`, without the `#`, as written.
    Hashtag { tag: String },
}

impl Token {
    /// The text this token was made from.
    pub fn source_text(&self) -> String {
        match self {
            Token::Text { text } => text.clone(),
            Token::Url { url } => url.clone(),
            Token::Mention { nickname } => format!("@{nickname}"),
            Token::Hashtag { tag } => format!("#{tag}"),
        }
    }
}

/// Characters that end a URL: white space and what would break out of an HTML attribute.
fn ends_url(c: char) -> bool {
    c.is_whitespace()
        || matches!(c, '<' | '>' | '"' | '\'' | '`' | '{' | '}' | '|' | '\\' | '^')
        || crate::domain::is_forbidden_char(c)
}

/// Trailing punctuation that belongs to the sentence, not to the link.
fn trailing_punctuation(c: char) -> bool {
    matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']')
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

const MAX_MENTION_CHARS: usize = 32;

/// Splits a body into tokens.
pub fn parse_body(body: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut text_start = 0;
    let mut prev: Option<char> = None;
    let mut i = 0;
    while i < body.len() {
        let rest = &body[i..];
        let at_boundary = !prev.is_some_and(is_word_char);
        let found = if at_boundary { match_token(rest) } else { None };
        match found {
            Some((token, len)) => {
                if text_start < i {
                    tokens.push(Token::Text {
                        text: body[text_start..i].to_owned(),
                    });
                }
                tokens.push(token);
                i += len;
                text_start = i;
                prev = body[..i].chars().next_back();
            }
            None => {
                let c = rest.chars().next().unwrap_or_default();
                prev = Some(c);
                i += c.len_utf8().max(1);
            }
        }
    }
    if text_start < body.len() {
        tokens.push(Token::Text {
            text: body[text_start..].to_owned(),
        });
    }
    tokens
}

/// A token starting at the beginning of `rest`, with its length in bytes.
fn match_token(rest: &str) -> Option<(Token, usize)> {
    let first = rest.chars().next()?;
    match first {
        '@' => {
            let name: String = rest[1..]
                .chars()
                .take_while(|&c| is_word_char(c) || c == '-')
                .take(MAX_MENTION_CHARS)
                .collect();
            let name = name.trim_end_matches('-');
            (!name.is_empty()).then(|| {
                (
                    Token::Mention {
                        nickname: name.to_owned(),
                    },
                    1 + name.len(),
                )
            })
        }
        '#' => {
            let tag: String = rest[1..].chars().take_while(|&c| is_word_char(c)).collect();
            Hashtag::parse(&tag).ok()?;
            Some((Token::Hashtag { tag: tag.clone() }, 1 + tag.len()))
        }
        'h' | 'H' => match_url(rest).map(|len| {
            (
                Token::Url {
                    url: rest[..len].to_owned(),
                },
                len,
            )
        }),
        _ => None,
    }
}

fn match_url(rest: &str) -> Option<usize> {
    let lower: String = rest.chars().take(8).collect::<String>().to_ascii_lowercase();
    let scheme_len = if lower.starts_with("https://") {
        8
    } else if lower.starts_with("http://") {
        7
    } else {
        return None;
    };
    let mut end = rest.find(ends_url).unwrap_or(rest.len());
    let mut candidate = &rest[..end];
    while let Some(c) = candidate.chars().next_back() {
        let unbalanced_paren = c == ')' && candidate.matches('(').count() >= candidate.matches(')').count();
        if trailing_punctuation(c) && !unbalanced_paren {
            end -= c.len_utf8();
            candidate = &rest[..end];
        } else {
            break;
        }
    }
    // A host must follow the scheme.
    let host = &candidate[scheme_len..];
    (host.chars().next().is_some_and(|c| c.is_alphanumeric() || c == '[')).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Token {
        Token::Text { text: s.into() }
    }

    #[test]
    fn recognises_each_kind() {
        assert_eq!(
            parse_body("hi @ada see https://example.org/x?a=1&b=2. #Physics101!"),
            vec![
                text("hi "),
                Token::Mention { nickname: "ada".into() },
                text(" see "),
                Token::Url {
                    url: "https://example.org/x?a=1&b=2".into()
                },
                text(". "),
                Token::Hashtag {
                    tag: "Physics101".into()
                },
                text("!"),
            ]
        );
    }

    #[test]
    fn only_http_and_https_are_links() {
        for body in [
            "javascript:alert(1)",
            "ftp://x.org",
            "data:text/html,<b>",
            "http://",
            "https:// x",
        ] {
            assert!(
                parse_body(body).iter().all(|t| !matches!(t, Token::Url { .. })),
                "{body} must not become a link"
            );
        }
    }

    #[test]
    fn links_stop_at_markup_characters() {
        let tokens = parse_body("http://a.org/\"onmouseover=alert(1)//<script>");
        assert_eq!(
            tokens[0],
            Token::Url {
                url: "http://a.org/".into()
            }
        );
    }

    #[test]
    fn keeps_balanced_parentheses_in_links() {
        let tokens = parse_body("(see https://en.wikipedia.org/wiki/Rust_(language))");
        assert!(tokens.contains(&Token::Url {
            url: "https://en.wikipedia.org/wiki/Rust_(language)".into()
        }));
    }

    #[test]
    fn ignores_mid_word_markers_and_numeric_tags() {
        assert_eq!(parse_body("mail ada@example.org"), vec![text("mail ada@example.org")]);
        assert_eq!(parse_body("issue #42 and a#b"), vec![text("issue #42 and a#b")]);
        assert_eq!(parse_body("@ alone"), vec![text("@ alone")]);
    }

    #[test]
    fn serialises_as_protocol_says() {
        let json = serde_json::to_string(&parse_body("@bo #x http://a.b")).unwrap();
        assert_eq!(
            json,
            r#"[{"type":"mention","nickname":"bo"},{"type":"text","text":" "},{"type":"hashtag","tag":"x"},{"type":"text","text":" "},{"type":"url","url":"http://a.b"}]"#
        );
    }
}
