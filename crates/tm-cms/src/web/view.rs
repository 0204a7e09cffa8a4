//! Rendering: the tera instance, the shapes templates see, and the HTML error pages.
//!
//! Autoescaping is on for every template (all are `.html`); no user text is marked safe. The
//! `| safe` uses are our own output: the QR code SVG we generate, admin pages after ammonia has
//! cleaned them, and message items (`messages_html`), which `message_html` writes escaping
//! every value as tera does; `static_url(…)` (our asset paths) is a safe function.

use std::sync::OnceLock;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde::Serialize;
use tera::{Context, Tera};
use tm_core::event::{Message, Poll, PollState};

use super::assets;
use tm_core::event::MessageState;

use crate::engine::messages::MessageView;
use crate::i18n::{self, Locale};

/// The compiled templates of `locale` (parsed once; a broken template fails the first render
/// and tests). Each language has its own instance, whose `t()` and date filters speak it.
pub fn tera(locale: Locale) -> Result<&'static Tera, tera::Error> {
    static TERA: OnceLock<Result<Vec<Tera>, String>> = OnceLock::new();
    let compiled = TERA.get_or_init(|| {
        let mut base = Tera::default();
        base.autoescape_on(vec![".html"]);
        base.register_function("static_url", assets::StaticUrl);
        // Parsing checks that functions exist: the English ones stand in until each copy
        // gets its own.
        super::times::register(&mut base, Locale::En);
        super::translate::register(&mut base, Locale::En);
        base.add_raw_templates(assets::TEMPLATES.to_vec())
            .map_err(|e| format!("{e:?}"))?;
        Ok(Locale::ALL
            .into_iter()
            .map(|locale| {
                let mut tera = base.clone();
                super::times::register(&mut tera, locale);
                super::translate::register(&mut tera, locale);
                tera
            })
            .collect())
    });
    let instances = compiled.as_ref().map_err(|e| tera::Error::msg(e.clone()))?;
    let index = Locale::ALL.iter().position(|l| *l == locale).unwrap_or(0);
    instances
        .get(index)
        .ok_or_else(|| tera::Error::msg("no templates for this language"))
}

/// A language as the switcher lists it.
#[derive(Debug, Serialize)]
struct LanguageOption {
    tag: &'static str,
    name: &'static str,
    current: bool,
}

/// Renders `template` with `context` plus the site-wide values, in the request's language:
/// `lang` and `dir` for `<html>`, the switcher's `languages` and `here` (the page to come back to).
pub fn render(status: StatusCode, template: &str, mut context: Context, site_name: &str) -> HttpResponse {
    let locale = i18n::current();
    context.insert("site_name", site_name);
    context.insert("lang", locale.tag());
    context.insert("dir", locale.direction().as_str());
    let languages: Vec<LanguageOption> = Locale::ALL
        .into_iter()
        .map(|l| LanguageOption {
            tag: l.tag(),
            name: l.native_name(),
            current: l == locale,
        })
        .collect();
    context.insert("languages", &languages);
    context.insert("here", &i18n::request::current_path());
    match tera(locale).and_then(|t| t.render(template, &context)) {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(error) => {
            tracing::error!(template, error = ?error, "template failed");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body(locale.simple("page-render-failed"))
        }
    }
}

/// A friendly error page.
pub fn error_page(status: StatusCode, site_name: &str) -> HttpResponse {
    let kind = match status.as_u16() {
        404 => "not-found",
        410 => "closed",
        503 => "unavailable",
        403 => "forbidden",
        _ => "other",
    };
    let mut context = Context::new();
    context.insert("heading_key", &format!("error-page-{kind}-heading"));
    context.insert("detail_key", &format!("error-page-{kind}-detail"));
    let mut response = render(status, "error.html", context, site_name);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str("5") {
            response
                .headers_mut()
                .insert(actix_web::http::header::RETRY_AFTER, value);
        }
    }
    response
}

/// A message as the templates see it.
#[derive(Debug, Serialize)]
pub struct MessageRow {
    #[serde(flatten)]
    pub message: Message,
    pub state: MessageState,
    pub color_class: String,
    /// Whether its author is muted in the room (only looked up for the owner's views).
    pub author_muted: bool,
}

/// How many characters of a body name a message in a button's label.
const EXCERPT_CHARS: usize = 40;

impl MessageRow {
    pub fn from_view(view: MessageView) -> Self {
        Self::new(view.message, view.state, false)
    }

    pub fn new(message: Message, state: MessageState, author_muted: bool) -> Self {
        let color_class = color_class(&message.color);
        MessageRow {
            message,
            state,
            color_class,
            author_muted,
        }
    }
}

/// The first [`EXCERPT_CHARS`] characters of `body` on one line, `…` if cut: names a message in
/// its owner buttons' labels (`web::message_html`; `static/live.js` cuts the same way).
pub fn excerpt(body: &str) -> String {
    let line = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= EXCERPT_CHARS {
        return line;
    }
    let mut cut: String = line.chars().take(EXCERPT_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// Speaker colours come from a fixed palette; templates use a class per colour (`c-bf3043`, see engine::speaker_colors)
/// so the CSP needs no inline styles. Anything that is not `#rrggbb` gets no class.
pub fn color_class(color: &str) -> String {
    match color.strip_prefix('#') {
        Some(hex) if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            format!("c-{}", hex.to_ascii_lowercase())
        }
        _ => String::new(),
    }
}

/// A poll as the templates see it: each option with its share of the voters in percent.
#[derive(Debug, Serialize)]
pub struct PollRow {
    pub id: u64,
    pub question: String,
    pub multiple: bool,
    pub state: PollState,
    pub voters: u32,
    pub options: Vec<PollOptionRow>,
}

#[derive(Debug, Serialize)]
pub struct PollOptionRow {
    pub id: u64,
    pub text: String,
    pub votes: u32,
    /// Percent of the voters who chose it (of all votes on a single-choice poll).
    pub share: u32,
}

impl From<Poll> for PollRow {
    fn from(poll: Poll) -> Self {
        let voters = poll.voters;
        PollRow {
            id: poll.id,
            question: poll.question,
            multiple: poll.multiple,
            state: poll.state,
            voters,
            options: poll
                .options
                .into_iter()
                .map(|o| PollOptionRow {
                    share: (u64::from(o.votes) * 100)
                        .checked_div(u64::from(voters))
                        .map_or(0, |share| u32::try_from(share).unwrap_or(100)),
                    id: o.id,
                    text: o.text,
                    votes: o.votes,
                })
                .collect(),
        }
    }
}
