//! The Rust items against the tera macros they replaced (`macros_before.html`), byte for byte,
//! for every state the macros branch on, in every language.

use serde::Serialize;
use tera::{Context, Tera};
use time::macros::datetime;
use time::OffsetDateTime;
use tm_core::event::{Message, MessageKind, MessageState};
use tm_core::parse_list::parse_body;

use super::{escape_into, list, Options};
use crate::i18n::Locale;
use crate::web::view::{excerpt, MessageRow};

const BEFORE: &str = include_str!("macros_before.html");

/// The page templates of `locale` plus the old macros and a template calling them the way the
/// pages did: `{% for m in messages %}{{ macros::message(m=m, …) }}{% endfor %}`.
fn tera_before(locale: Locale) -> Tera {
    let mut tera = crate::web::tera(locale).unwrap().clone();
    tera.add_raw_templates(vec![
        ("macros_before.html", BEFORE),
        (
            "list_before.html",
            r#"{% import "macros_before.html" as before %}{% for m in messages %}{{ before::message(m=m, owner=owner, slug=slug, from=from, dated=dated, base=base) }}{% endfor %}"#,
        ),
    ])
    .unwrap();
    tera
}

/// A row as the old macros saw it: with the excerpt its owner buttons named it by.
#[derive(Serialize)]
struct RowBefore<'a> {
    #[serde(flatten)]
    row: &'a MessageRow,
    excerpt: String,
}

fn render_before(tera: &Tera, messages: &[MessageRow], options: &Options<'_>) -> String {
    let rows: Vec<RowBefore<'_>> = messages
        .iter()
        .map(|row| RowBefore {
            row,
            excerpt: excerpt(&row.message.body),
        })
        .collect();
    let mut ctx = Context::new();
    ctx.insert("messages", &rows);
    ctx.insert("owner", &options.owner);
    ctx.insert("slug", options.slug);
    ctx.insert("from", options.from);
    ctx.insert("dated", &options.dated);
    ctx.insert("base", options.base);
    tera.render("list_before.html", &ctx).unwrap()
}

/// A message as the engine hands it over.
fn message(id: u64, nickname: &str, body: &str, at: OffsetDateTime) -> Message {
    Message {
        id,
        seq: id + 1000,
        room: "physics-101".into(),
        nickname: nickname.into(),
        color: "#1F77B4".into(),
        body: body.into(),
        tokens: parse_body(body),
        kind: MessageKind::Post,
        source_url: None,
        created_at: at,
        client_id: None,
        votes: 0,
        answered: false,
        pinned: false,
    }
}

fn row(message: Message) -> MessageRow {
    MessageRow::new(message, MessageState::Visible, false)
}

/// Every case the macros told apart: kinds and their links, states, Q&A, muted authors, HTML
/// special characters in every field that is shown, links, mentions and tags, long bodies cut
/// by grapheme (combining marks, emoji sequences), right-to-left text, times in the same and in
/// different minutes, across midnight and the year, in other offsets than UTC.
fn variety() -> Vec<MessageRow> {
    let at = datetime!(2026-12-05 14:02:09.123456 UTC);
    let long = "Warum ist die Beschleunigung konstant? ".repeat(5);
    let graphemes = format!("{}e\u{301}👍🏽👨‍👩‍👧 tail", "x".repeat(58));
    let mut rows = vec![
        row(message(1, "sam", "Could you go over the second example again?", at)),
        row(message(
            2,
            "alice",
            "same minute, another second",
            at + time::Duration::seconds(30),
        )),
        row(message(
            3,
            "<b>&\"'/",
            "if a < b && b > c then \"a\" isn't </li> the largest",
            at + time::Duration::minutes(1),
        )),
        row(message(
            4,
            "Bob_42",
            "slides: https://example.org/p?a=1&b=\"2\" and @alice #exam #Physik, ok?",
            at,
        )),
        row(message(5, "Jürgen", &long, datetime!(2026-12-31 23:59:59 -02:00))),
        row(message(
            6,
            "نور",
            "هل يمكنك شرح المثال الثاني مرة أخرى؟",
            datetime!(2027-01-01 00:00:00.5 +01:00),
        )),
        row(message(7, "kim", &graphemes, at)),
        row(message(8, "kim", &"y".repeat(60), at)),
        row(message(21, "kim", &"y".repeat(61), at)),
        row(message(
            22,
            "kim",
            &format!("{}\u{301}{}", "y".repeat(60), "z".repeat(9)),
            at,
        )),
        row(message(23, "kim", &format!("a\r\n{}", "b".repeat(70)), at)),
        row(message(
            24,
            "kim",
            &format!("{}\r\n{}", "b".repeat(59), "c".repeat(9)),
            at,
        )),
        row(message(25, "kim", &format!("{}é{}", "b".repeat(59), "c".repeat(9)), at)),
        row(message(26, "kim", &"ü".repeat(40), at)),
        row(message(9, "kim", "", at)),
    ];
    let mut answered = message(10, "maría", "¿Está en el examen?", at);
    answered.votes = 1;
    answered.answered = true;
    rows.push(row(answered));
    let mut pinned = message(11, "sam", "pinned and popular", at);
    pinned.votes = 1234;
    pinned.pinned = true;
    rows.push(row(pinned));
    let mut both = message(12, "sam", "answered and pinned", at);
    both.votes = 12345;
    both.answered = true;
    both.pinned = true;
    rows.push(MessageRow::new(both, MessageState::Visible, true));
    for (id, kind, url) in [
        (
            13,
            MessageKind::Tweet,
            Some("https://twitter.com/a/status/1?x=<y>&z='w'"),
        ),
        (14, MessageKind::Toot, Some("https://mastodon.social/@a/1")),
        (15, MessageKind::Bluesky, Some("at://did:plc:abc/app.bsky.feed.post/1")),
        (16, MessageKind::Tweet, Some("")),
        (17, MessageKind::System, None),
    ] {
        let mut m = message(id, "@feed", "from elsewhere #tag", at);
        m.kind = kind;
        m.source_url = url.map(str::to_owned);
        rows.push(row(m));
    }
    let mut pending = message(18, "new", "waiting <for> approval", at);
    pending.color = "not a colour".into();
    rows.push(MessageRow::new(pending.clone(), MessageState::Pending, false));
    pending.id = 19;
    pending.answered = true;
    rows.push(MessageRow::new(pending, MessageState::Pending, true));
    rows.push(MessageRow::new(
        message(20, "gone", "deleted", at),
        MessageState::Deleted,
        true,
    ));
    rows
}

fn assert_same(locale: Locale, tera: &Tera, messages: &[MessageRow], options: &Options<'_>) {
    let before = render_before(tera, messages, options);
    let now = list(locale, messages, options);
    if before != now {
        let at = before
            .bytes()
            .zip(now.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(before.len().min(now.len()));
        let from = at.saturating_sub(200);
        panic!(
            "{} {options:?}: differ at byte {at}\nbefore: {:?}\nnow:    {:?}",
            locale.tag(),
            before.get(from..(at + 200).min(before.len())),
            now.get(from..(at + 200).min(now.len())),
        );
    }
}

#[test]
fn items_are_the_macros_items_in_every_language_and_view() {
    let messages = variety();
    let views = [
        // The room page, as a participant, the owner and a co-moderator.
        Options {
            from: "?from=room",
            slug: "physics-101",
            ..Options::default()
        },
        Options {
            owner: true,
            slug: "physics-101",
            from: "?from=room",
            ..Options::default()
        },
        Options {
            owner: true,
            slug: "physics-101",
            from: "?from=room",
            base: "moderate",
            ..Options::default()
        },
        // The owner and moderator pages, the projector and embed, the transcript.
        Options {
            owner: true,
            slug: "a<b>&\"'",
            ..Options::default()
        },
        Options::default(),
        Options {
            dated: true,
            ..Options::default()
        },
    ];
    for locale in Locale::ALL {
        let tera = tera_before(locale);
        for options in &views {
            assert_same(locale, &tera, &messages, options);
        }
    }
}

#[test]
fn an_empty_list_is_empty() {
    assert_eq!(list(Locale::En, &[], &Options::default()), "");
}

#[test]
fn user_text_cannot_open_markup() {
    let html = list(Locale::En, &variety()[2..3], &Options::default());
    assert!(html.contains("&lt;b&gt;&amp;&quot;&#x27;&#x2F;"), "{html}");
    assert!(!html.contains("</li> the"), "{html}");
}

#[test]
fn escaping_is_teras() {
    let text = "a<b>&\"'/ c — é";
    let mut out = String::from("x");
    escape_into(&mut out, text);
    assert_eq!(out, format!("x{}", tera::escape_html(text)));
}
