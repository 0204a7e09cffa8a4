//! The owner's buttons on a stored message: `macros.html`'s `owner_actions`, which the live
//! module's `<template data-owner-actions>` still uses, so the test holds the two together.

use std::fmt::Write as _;

use fluent_bundle::FluentValue;
use tm_core::event::MessageState;

use super::text::escape_into;
use super::Writer;
use crate::web::view::{excerpt, MessageRow};

impl Writer<'_> {
    /// The `owner_actions` macro, for a stored message.
    pub(super) fn owner_actions(&mut self, out: &mut String, row: &MessageRow) {
        let m = &row.message;
        // Computed here, not for every MessageRow: only the owner's views name messages so.
        let excerpt = excerpt(&m.body);
        let (nickname, excerpt) = (m.nickname.as_str(), excerpt.as_str());
        let named = [
            ("nickname", FluentValue::from(nickname)),
            ("excerpt", FluentValue::from(excerpt)),
        ];
        out.push_str("\n<span class=\"actions no-print\">\n  ");
        if row.state == MessageState::Pending {
            out.push_str("\n  ");
            self.action(out, m.id, "approve");
            out.push_str("<button class=\"secondary\" aria-label=\"");
            escape_into(out, &self.text_with("action-approve-label", &named));
            out.push_str("\">");
            self.put(out, "action-approve");
            out.push_str("</button></form>\n  ");
            self.action(out, m.id, "reject");
            out.push_str("<button class=\"secondary\" aria-label=\"");
            escape_into(out, &self.text_with("action-reject-label", &named));
            out.push_str("\">");
            self.put(out, "action-reject");
            out.push_str("</button></form>\n  ");
        }
        out.push_str("\n  ");
        if row.state != MessageState::Pending {
            let answered = m.answered;
            let answer = |w: &mut Self, out: &mut String| {
                if answered {
                    w.put(out, "action-mark-unanswered");
                } else {
                    w.put(out, "action-mark-answered");
                }
            };
            out.push_str("\n  ");
            self.action(out, m.id, if answered { "unanswer" } else { "answer" });
            out.push_str("<button class=\"secondary\" aria-label=\"");
            answer(self, out);
            out.push_str(": ");
            named_excerpt(out, nickname, excerpt);
            out.push_str("\">");
            answer(self, out);
            out.push_str("</button></form>\n  ");
            let pinned = m.pinned;
            let pin = |w: &mut Self, out: &mut String| {
                if pinned {
                    w.put(out, "action-unpin");
                } else {
                    w.put(out, "action-pin");
                }
            };
            self.action(out, m.id, if pinned { "unpin" } else { "pin" });
            out.push_str("<button class=\"secondary\" aria-label=\"");
            pin(self, out);
            out.push(' ');
            named_excerpt(out, nickname, excerpt);
            out.push_str("\">");
            pin(self, out);
            out.push_str("</button></form>\n  ");
        }
        out.push_str("\n  ");
        self.action(out, m.id, "delete");
        out.push_str("<button class=\"secondary\" aria-label=\"");
        escape_into(out, &self.text_with("action-delete-label", &named));
        out.push_str("\">");
        self.put(out, "action-delete");
        out.push_str("</button></form>\n  ");
        out.push_str("\n  ");
        let nicknamed = [("nickname", FluentValue::from(nickname))];
        let text = if row.author_muted {
            self.action(out, m.id, "unmute");
            out.push_str("<button class=\"secondary\" data-mute=\"unmute\">");
            self.text_with("action-unmute", &nicknamed)
        } else {
            self.action(out, m.id, "mute");
            out.push_str("<button class=\"secondary\" data-mute=\"mute\">");
            self.text_with("action-mute", &nicknamed)
        };
        escape_into(out, &text);
        out.push_str("</button></form>\n  ");
        out.push_str("\n</span>\n");
    }

    /// `<form method="post" action="/r/{slug}/{base}/messages/{id}/{path}{from}">`.
    fn action(&self, out: &mut String, id: u64, path: &str) {
        out.push_str("<form method=\"post\" action=\"/r/");
        escape_into(out, self.options.slug);
        out.push('/');
        escape_into(out, self.options.base);
        let _ = write!(out, "/messages/{id}/{path}");
        escape_into(out, self.options.from);
        out.push_str("\">");
    }
}

/// `{nickname}: {excerpt}`, escaped.
fn named_excerpt(out: &mut String, nickname: &str, excerpt: &str) {
    escape_into(out, nickname);
    out.push_str(": ");
    escape_into(out, excerpt);
}
