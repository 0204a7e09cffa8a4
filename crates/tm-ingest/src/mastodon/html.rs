//! HTML → plain text for Mastodon statuses. Markup never passes through.
//!
//! A small hand-written reducer instead of an HTML engine: statuses use a handful of tags
//! (`p`, `br`, `a`, `span`), and the output only has to be text. Rules:
//! * every tag is removed; `<br>` becomes a newline, paragraphs are separated by a blank line;
//! * `script`, `style`, `template`, `title` and comments vanish *with their content*;
//! * entities are decoded (`&amp;`, `&#39;`, `&#x1F600;`…); invalid code points become U+FFFD;
//! * whitespace collapses as a browser would; control characters are dropped;
//! * an unterminated tag drops the rest of the input rather than guessing.
//!
//! The result is text: a decoded `&lt;b&gt;` is the literal characters `<b>`, which the CMS
//! escapes like any other message body.

/// Reduces `html` to plain text.
pub fn to_text(html: &str) -> String {
    let mut out = Out::default();
    let mut rest = html;
    while let Some(pos) = rest.find(['<', '&']) {
        out.text(&rest[..pos]);
        rest = &rest[pos..];
        if rest.starts_with('&') {
            let (decoded, used) = entity(rest);
            out.text_owned(decoded);
            rest = &rest[used..];
            continue;
        }
        match markup(rest) {
            Markup::Text => {
                out.text("<");
                rest = &rest[1..];
            }
            Markup::Unterminated => return out.finish(),
            Markup::Skip(used) => rest = &rest[used..],
            Markup::Tag { name, closing, used } => {
                rest = &rest[used..];
                match name.as_str() {
                    "br" => out.newline(),
                    "p" | "div" | "li" | "blockquote" | "pre" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "ul"
                    | "ol" => out.paragraph(),
                    "script" | "style" | "template" | "title" | "textarea" | "iframe" | "noscript" | "svg" | "math"
                        if !closing =>
                    {
                        rest = skip_raw(rest, &name);
                    }
                    _ => {}
                }
            }
        }
    }
    out.text(rest);
    out.finish()
}

enum Markup {
    /// A `<` that does not start markup (e.g. `a < b`).
    Text,
    /// A `<` with no closing `>`.
    Unterminated,
    /// A comment, doctype or processing instruction of this many bytes.
    Skip(usize),
    Tag {
        name: String,
        closing: bool,
        used: usize,
    },
}

fn markup(s: &str) -> Markup {
    if let Some(after) = s.strip_prefix("<!--") {
        return match after.find("-->") {
            Some(end) => Markup::Skip(4 + end + 3),
            None => Markup::Unterminated,
        };
    }
    let bytes = s.as_bytes();
    let next = bytes.get(1).copied().unwrap_or(b' ');
    let closing = next == b'/';
    let starts_tag = next.is_ascii_alphabetic()
        || matches!(next, b'!' | b'?')
        || (closing && bytes.get(2).is_some_and(u8::is_ascii_alphabetic));
    if !starts_tag {
        return Markup::Text;
    }
    // Find the closing '>' outside quoted attribute values.
    let mut quote: Option<u8> = None;
    let mut end = None;
    for (i, b) in bytes.iter().enumerate().skip(1) {
        match (quote, *b) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(*b),
            (None, b'>') => {
                end = Some(i);
                break;
            }
            _ => {}
        }
    }
    let Some(end) = end else {
        return Markup::Unterminated;
    };
    if matches!(next, b'!' | b'?') {
        return Markup::Skip(end + 1);
    }
    let name_start = if closing { 2 } else { 1 };
    let name: String = s[name_start..end]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    Markup::Tag {
        name,
        closing,
        used: end + 1,
    }
}

/// Skips raw-text content up to and including `</name ...>`; everything if never closed.
fn skip_raw<'a>(s: &'a str, name: &str) -> &'a str {
    let lower = s.to_ascii_lowercase();
    let needle = format!("</{name}");
    match lower.find(&needle) {
        Some(pos) => match s[pos..].find('>') {
            Some(end) => &s[pos + end + 1..],
            None => "",
        },
        None => "",
    }
}

/// Decodes the entity at the start of `s` (which starts with `&`); returns text and bytes used.
fn entity(s: &str) -> (String, usize) {
    let body: String = s[1..]
        .chars()
        .take(32)
        .take_while(|c| *c != ';' && *c != '&' && *c != '<')
        .collect();
    let terminated = s[1 + body.len()..].starts_with(';');
    if !terminated {
        return ("&".to_owned(), 1);
    }
    let used = 1 + body.len() + 1;
    let decoded = if let Some(num) = body.strip_prefix('#') {
        let value = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse::<u32>().ok(),
        };
        match value {
            Some(v) => char::from_u32(v)
                .filter(|c| *c != '\0')
                .unwrap_or('\u{FFFD}')
                .to_string(),
            None => return ("&".to_owned(), 1),
        }
    } else {
        match body.as_str() {
            "amp" => "&",
            "lt" => "<",
            "gt" => ">",
            "quot" => "\"",
            "apos" => "'",
            "nbsp" => " ",
            "hellip" => "…",
            "mdash" => "—",
            "ndash" => "–",
            _ => return ("&".to_owned(), 1),
        }
        .to_owned()
    };
    (decoded, used)
}

/// Accumulates text with browser-like whitespace handling.
#[derive(Default)]
struct Out {
    buf: String,
    pending_space: bool,
}

impl Out {
    fn text(&mut self, s: &str) {
        for c in s.chars() {
            self.push(c);
        }
    }

    fn text_owned(&mut self, s: String) {
        self.text(&s);
    }

    fn push(&mut self, c: char) {
        if c.is_whitespace() {
            self.pending_space = true;
            return;
        }
        if c.is_control() || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') {
            return; // control and bidi-override characters: invisible tricks, dropped
        }
        if self.pending_space && !self.buf.is_empty() && !self.buf.ends_with('\n') {
            self.buf.push(' ');
        }
        self.pending_space = false;
        self.buf.push(c);
    }

    fn newline(&mut self) {
        self.pending_space = false;
        self.buf.push('\n');
    }

    fn paragraph(&mut self) {
        self.pending_space = false;
        if self.buf.is_empty() {
            return;
        }
        while !self.buf.ends_with("\n\n") {
            self.buf.push('\n');
        }
    }

    fn finish(self) -> String {
        let lines: Vec<&str> = self.buf.lines().map(str::trim).collect();
        let mut text = lines.join("\n");
        while text.contains("\n\n\n") {
            text = text.replace("\n\n\n", "\n\n");
        }
        text.trim().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::to_text;

    #[test]
    fn a_typical_status() {
        let html = r#"<p>Light bends! <a href="https://tags.example/tags/optics" class="mention hashtag" rel="tag">#<span>optics</span></a></p><p>line one<br>line two<br/>&amp; three &#39;quoted&#39; &#x1F600;</p>"#;
        assert_eq!(
            to_text(html),
            "Light bends! #optics\n\nline one\nline two\n& three 'quoted' 😀"
        );
    }

    #[test]
    fn mastodon_link_spans_give_the_full_url() {
        let html = r#"<p><a href="https://example.org/a/long/path"><span class="invisible">https://</span><span class="ellipsis">example.org/a/lo</span><span class="invisible">ng/path</span></a></p>"#;
        assert_eq!(to_text(html), "https://example.org/a/long/path");
    }

    #[test]
    fn hostile_html_never_yields_markup() {
        let cases = [
            ("<script>alert(1)</script>hi", "hi"),
            ("<SCRIPT src=x>alert(1)</SCRIPT >hi", "hi"),
            ("<style>p{}</style><p>x</p>", "x"),
            ("<img src=x onerror=alert(1)>ok", "ok"),
            (r#"<a href="x>y" title='a>b'>link</a>"#, "link"),
            ("<!-- <script>bad()</script> -->fine", "fine"),
            ("before<div", "before"),
            ("<scr<script>ipt>alert(1)</script>", "ipt>alert(1)"),
            ("<svg><script>alert(1)</script></svg>x", "x"),
            ("<script>never closed", ""),
            ("<!doctype html><?xml x?>t", "t"),
        ];
        for (html, want) in cases {
            assert_eq!(to_text(html), want, "input: {html}");
        }
    }

    #[test]
    fn escaped_markup_stays_literal_text_and_odd_entities_are_safe() {
        assert_eq!(to_text("&lt;b&gt;bold&lt;/b&gt;"), "<b>bold</b>");
        assert_eq!(
            to_text("a < b && c &unknown; &#0; &#xD800; &#99999999;"),
            "a < b && c &unknown; \u{FFFD} \u{FFFD} \u{FFFD}"
        );
        assert_eq!(to_text("x\u{202E}y\u{0007}z"), "xyz");
        assert_eq!(to_text("  lots   of\n\t space  "), "lots of space");
    }
}
