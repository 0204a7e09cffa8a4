//! A message list's `<li>` items, written in Rust instead of tera macros: the room page shows
//! up to 100 messages, and calling the macros for each (`message` → `tokens`, `qa`,
//! `local_time`, `owner_actions`, each a new tera frame with `t()` calls) was most of the page's
//! cost (docs/benchmarks.md, "The room page (S8), instructions per page").
//!
//! The markup is exactly what the `message` macro wrote, byte for byte: the test renders both
//! (the macro is kept as `message_html/macros_before.html`), so `static/live.js` and the
//! stylesheet see no change. Escaping is tera's (`&<>"'/`) for every value, texts come from the
//! same `Locale::text`, and times from the same `i18n::format` labels, computed once per minute
//! instead of once per message. Texts without arguments are formatted once per list.

mod owner_actions;
mod text;

use std::fmt::Write as _;

use fluent_bundle::FluentValue;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tm_core::event::MessageState;

use self::text::{escape_into, escaped, tokens, truncate};
use super::view::MessageRow;
use crate::i18n::{self, args, format, Locale};

/// How the list is shown: the `message` macro's parameters.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// With the owner's (or a co-moderator's) buttons on each message.
    pub owner: bool,
    pub slug: &'a str,
    /// Appended to each button's action: `?from=room` on the room page.
    pub from: &'a str,
    /// Times with their date (the transcript), instead of the time of day.
    pub dated: bool,
    /// The actions' route: `owner`, or `moderate` for a co-moderator.
    pub base: &'a str,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            owner: false,
            slug: "",
            from: "",
            dated: false,
            base: "owner",
        }
    }
}

/// How many graphemes of a body the vote button's label quotes (tera's `truncate`).
const VOTE_EXCERPT_GRAPHEMES: usize = 60;

/// The `<li>` of every message in `messages`, in order, in `locale`.
pub fn list(locale: Locale, messages: &[MessageRow], options: &Options<'_>) -> String {
    let mut writer = Writer::new(locale, *options);
    // A message's item is about 1.2 KB; one allocation for the usual list.
    let mut out = String::with_capacity(messages.len() * 1536);
    for message in messages {
        writer.message(&mut out, message);
    }
    out
}

/// Puts `messages` into a page's context: `messages_html`, their items (escaped here, so the
/// template inserts them with `| safe`), and `has_messages` for the empty list's text.
pub fn insert(ctx: &mut tera::Context, messages: &[MessageRow], options: &Options<'_>) {
    ctx.insert("has_messages", &!messages.is_empty());
    ctx.insert("messages_html", &list(i18n::current(), messages, options));
}

/// Writes items, remembering what repeats from one message to the next.
struct Writer<'a> {
    locale: Locale,
    options: Options<'a>,
    /// Escaped texts without arguments, by key.
    fixed: Vec<(&'static str, String)>,
    /// Escaped `message-via` texts, by message kind.
    via: Vec<(&'static str, String)>,
    /// The last time label: (minute since the epoch, escaped label).
    minute: Option<(i64, String)>,
    /// The last vote count written, and how.
    votes: Option<(u32, String)>,
    /// Scratch for a time's RFC 3339 form.
    rfc3339: Vec<u8>,
}

impl<'a> Writer<'a> {
    fn new(locale: Locale, options: Options<'a>) -> Self {
        Writer {
            locale,
            options,
            fixed: Vec::new(),
            via: Vec::new(),
            minute: None,
            votes: None,
            rfc3339: Vec::with_capacity(40),
        }
    }

    fn message(&mut self, out: &mut String, row: &MessageRow) {
        let m = &row.message;
        let pending = row.state == MessageState::Pending;
        out.push_str("\n<li class=\"message kind-");
        out.push_str(m.kind.as_str());
        if pending {
            out.push_str(" pending-approval");
        }
        if m.answered {
            out.push_str(" answered");
        }
        if m.pinned {
            out.push_str(" pinned");
        }
        let _ = write!(
            out,
            "\" id=\"m{}\" data-seq=\"{}\" data-votes=\"{}\">\n  <span class=\"nick ",
            m.id, m.seq, m.votes
        );
        escape_into(out, &row.color_class);
        out.push_str("\">");
        escape_into(out, &m.nickname);
        out.push_str("</span>\n  <span class=\"body\" dir=\"auto\">");
        tokens(out, &m.tokens);
        out.push_str("</span>\n  <span class=\"meta\">");
        self.time(out, m.created_at);
        if let Some(source) = m.source_url.as_deref().filter(|s| !s.is_empty()) {
            out.push_str(" <a href=\"");
            escape_into(out, source);
            out.push_str("\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">");
            out.push_str(self.via(m.kind.as_str()));
            out.push_str("</a>");
        }
        if pending {
            out.push_str(" · ");
            self.put(out, "message-waiting-for-approval");
        }
        if self.options.owner && row.author_muted {
            out.push_str(" · ");
            self.put(out, "message-author-muted");
        }
        out.push_str("</span>\n  ");
        if !pending {
            self.qa(out, row);
        }
        out.push_str("\n  ");
        if self.options.owner {
            self.owner_actions(out, row);
        }
        out.push_str("\n</li>\n");
    }

    /// The `local_time` macro: `<time>` with the UTC label.
    fn time(&mut self, out: &mut String, at: OffsetDateTime) {
        self.rfc3339.clear();
        out.push_str("<time datetime=\"");
        // RFC 3339 has no character to escape, but the template escaped it: so do we.
        if at.format_into(&mut self.rfc3339, &Rfc3339).is_ok() {
            if let Ok(text) = std::str::from_utf8(&self.rfc3339) {
                escape_into(out, text);
            }
        }
        out.push_str(if self.options.dated {
            "\" data-local=\"datetime\">"
        } else {
            "\" data-local=\"time\">"
        });
        let minute = at.unix_timestamp().div_euclid(60);
        if self.minute.as_ref().map(|(cached, _)| *cached) != Some(minute) {
            let text = if self.options.dated {
                format::utc_datetime(self.locale, at)
            } else {
                format::utc_time(self.locale, at)
            };
            self.minute = Some((minute, escaped(&text)));
        }
        let label = self.minute.as_ref().map_or("", |(_, label)| label.as_str());
        out.push_str(label);
        out.push_str("</time>");
    }

    /// The `qa` macro: the vote button and the answered and pinned badges.
    fn qa(&mut self, out: &mut String, row: &MessageRow) {
        let m = &row.message;
        let _ = write!(
            out,
            "<span class=\"qa\" data-qa>\n    <button type=\"button\" class=\"vote\" data-vote=\"{}\" aria-pressed=\"false\" disabled><span aria-hidden=\"true\">▲</span> <span class=\"vote-count\" data-votes>",
            m.id
        );
        out.push_str(self.votes(m.votes));
        out.push_str("</span><span class=\"visually-hidden\">: ");
        let excerpt = truncate(&m.body, VOTE_EXCERPT_GRAPHEMES);
        let label = self.text_with(
            "vote-label",
            &[
                ("nickname", FluentValue::from(m.nickname.as_str())),
                ("excerpt", FluentValue::from(excerpt.as_ref())),
            ],
        );
        escape_into(out, &label);
        out.push_str("</span></button>\n    <span class=\"badge answered\" data-answered ");
        if !m.answered {
            out.push_str("hidden");
        }
        out.push('>');
        self.put(out, "badge-answered");
        out.push_str("</span>\n    <span class=\"badge pinned\" data-pinned ");
        if !m.pinned {
            out.push_str("hidden");
        }
        out.push('>');
        self.put(out, "badge-pinned");
        out.push_str("</span>\n  </span>");
    }

    /// Appends the escaped text of `key`, which has no arguments. Keys are string literals at
    /// each call of `put` and `text_with`, where the i18n key test finds them.
    fn put(&mut self, out: &mut String, key: &'static str) {
        let index = match self.fixed.iter().position(|(k, _)| *k == key) {
            Some(index) => index,
            None => {
                self.fixed.push((key, escaped(&self.locale.simple(key))));
                self.fixed.len() - 1
            }
        };
        out.push_str(&self.fixed[index].1);
    }

    /// The text of `key` with `values`, unescaped.
    fn text_with(&self, key: &str, values: &[(&'static str, FluentValue<'_>)]) -> String {
        self.locale.text(key, Some(&args(values.iter().cloned())))
    }

    /// The escaped "via Mastodon"-style link text of a message `kind`.
    fn via(&mut self, kind: &'static str) -> &str {
        let index = match self.via.iter().position(|(k, _)| *k == kind) {
            Some(index) => index,
            None => {
                let text = self.text_with("message-via", &[("kind", FluentValue::from(kind))]);
                self.via.push((kind, escaped(&text)));
                self.via.len() - 1
            }
        };
        &self.via[index].1
    }

    /// A vote count the language's way (most messages have none, so the last one is kept).
    fn votes(&mut self, votes: u32) -> &str {
        if self.votes.as_ref().map(|(cached, _)| *cached) != Some(votes) {
            let text = escaped(&format::number(self.locale, f64::from(votes)));
            self.votes = Some((votes, text));
        }
        self.votes.as_ref().map_or("", |(_, text)| text.as_str())
    }
}

#[cfg(test)]
mod tests;
