//! Escaping and cutting text as tera did, and a body's tokens as markup.

use std::borrow::Cow;

use tm_core::parse_list::Token;
use unicode_segmentation::UnicodeSegmentation;

/// The `tokens` macro: a body's parse list, each token escaped, links as `<a>`.
pub(super) fn tokens(out: &mut String, tokens: &[Token]) {
    for token in tokens {
        match token {
            Token::Text { text } => escape_into(out, text),
            Token::Url { url } => {
                out.push_str("<a href=\"");
                escape_into(out, url);
                out.push_str("\" rel=\"nofollow noopener noreferrer ugc\" target=\"_blank\">");
                escape_into(out, url);
                out.push_str("</a>");
            }
            Token::Mention { nickname } => {
                out.push_str("<span class=\"mention\">@");
                escape_into(out, nickname);
                out.push_str("</span>");
            }
            Token::Hashtag { tag } => {
                out.push_str("<span class=\"hashtag\">#");
                escape_into(out, tag);
                out.push_str("</span>");
            }
        }
    }
}

/// tera's `truncate(length=…)`: the first `graphemes` grapheme clusters, then `…` if cut.
pub(super) fn truncate(text: &str, graphemes: usize) -> Cow<'_, str> {
    // Segmenting every body was an eighth of a page's cost; two cases need none. No more characters than
    // graphemes: nothing to cut. ASCII without CR LF up to one past the cut: each byte is a
    // grapheme (only CR LF, and non-ASCII marks, join), so the cut is at byte `graphemes`.
    if text.len() <= graphemes || text.chars().nth(graphemes).is_none() {
        return text.into();
    }
    if let Some(head) = text.as_bytes().get(..=graphemes) {
        if head.is_ascii() && !head.windows(2).any(|pair| pair == b"\r\n") {
            return format!("{}…", &text[..graphemes]).into();
        }
    }
    match text.grapheme_indices(true).nth(graphemes) {
        Some((cut, _)) => format!("{}…", &text[..cut]).into(),
        None => text.into(),
    }
}

/// `text` escaped as tera's autoescaping does (`/` too), appended to `out`.
pub(super) fn escape_into(out: &mut String, text: &str) {
    let mut start = 0;
    for (i, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            b'/' => "&#x2F;",
            _ => continue,
        };
        out.push_str(&text[start..i]);
        out.push_str(entity);
        start = i + 1;
    }
    out.push_str(&text[start..]);
}

pub(super) fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}
