//! The key test: every language has exactly English's keys, every file parses, and every key
//! the code uses (templates, the message items written in Rust, scripts' strings, error codes)
//! exists in English.

use std::collections::BTreeSet;

use fluent_bundle::FluentResource;
use fluent_syntax::ast::Entry;

use super::{client, Locale};

/// The message ids of one `.ftl` file; panics on a syntax error.
fn keys(locale: Locale, file: &str, text: &str) -> BTreeSet<String> {
    let resource = FluentResource::try_new(text.to_owned())
        .unwrap_or_else(|(_, errors)| panic!("{}/{file} does not parse: {errors:?}", locale.tag()));
    resource
        .entries()
        .filter_map(|entry| match entry {
            Entry::Message(message) => Some(message.id.name.to_owned()),
            _ => None,
        })
        .collect()
}

fn english_keys() -> BTreeSet<String> {
    Locale::En
        .sources()
        .iter()
        .flat_map(|(file, text)| keys(Locale::En, file, text))
        .collect()
}

#[test]
fn every_language_has_exactly_the_english_keys() {
    for locale in Locale::ALL {
        assert_eq!(
            locale.sources().len(),
            Locale::En.sources().len(),
            "{}: files",
            locale.tag()
        );
        for ((file, text), (en_file, en_text)) in locale.sources().iter().zip(Locale::En.sources()) {
            assert_eq!(file, en_file);
            let theirs = keys(locale, file, text);
            let english = keys(Locale::En, en_file, en_text);
            let missing: Vec<_> = english.difference(&theirs).collect();
            let extra: Vec<_> = theirs.difference(&english).collect();
            assert!(missing.is_empty(), "{}/{file} lacks {missing:?}", locale.tag());
            assert!(
                extra.is_empty(),
                "{}/{file} has keys English lacks: {extra:?}",
                locale.tag()
            );
        }
    }
}

#[test]
fn every_text_formats_without_errors_in_every_language() {
    for locale in Locale::ALL {
        for key in english_keys() {
            assert!(locale.has(&key), "{}: {key}", locale.tag());
            let text = locale.simple(&key);
            assert!(!text.trim().is_empty(), "{}: {key} is empty", locale.tag());
        }
    }
}

/// `t(key="…")` in the templates.
fn template_keys() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (_, template) in crate::web::TEMPLATES {
        for piece in template.split("t(key=\"").skip(1) {
            if let Some((key, _)) = piece.split_once('"') {
                found.insert(key.to_owned());
            }
        }
    }
    found
}

/// The keys of the message items written in Rust (`web/message_html`), where each key is
/// written out at its call: `put(out, "key")` or `text_with("key", …)`.
fn message_html_keys() -> BTreeSet<String> {
    let sources = [
        include_str!("../web/message_html.rs"),
        include_str!("../web/message_html/owner_actions.rs"),
    ];
    let mut found = BTreeSet::new();
    for call in ["put(out,", "text_with("] {
        for piece in sources.iter().flat_map(|source| source.split(call).skip(1)) {
            let key = piece
                .trim_start()
                .strip_prefix('"')
                .and_then(|rest| rest.split_once('"'));
            if let Some((key, _)) = key {
                found.insert(key.to_owned());
            }
        }
    }
    found
}

/// Codes the API can answer with: the `=> "code"` arms of the error mapping and the codes
/// written out at the API's edge, and those of the core's validation errors.
fn error_codes() -> BTreeSet<String> {
    let sources = [
        include_str!("../errors.rs"),
        include_str!("../../../tm-core/src/domain/error.rs"),
    ];
    let mut codes = BTreeSet::new();
    for source in sources {
        for piece in source.split("=> \"").skip(1) {
            if let Some((code, _)) = piece.split_once('"') {
                codes.insert(code.to_owned());
            }
        }
    }
    for piece in include_str!("../api/mod.rs").split("StatusCode::").skip(1) {
        // error_response(StatusCode::X, "code", …)
        if let Some(code) = piece.split('"').nth(1) {
            if code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') && !code.is_empty() {
                codes.insert(code.to_owned());
            }
        }
    }
    codes
}

#[test]
fn every_key_the_code_uses_exists_in_english() {
    let english = english_keys();
    let mut used = template_keys();
    assert!(used.len() > 100, "the template scan found only {used:?}");
    let in_rust = message_html_keys();
    assert!(
        in_rust.contains("vote-label") && in_rust.contains("action-unmute") && in_rust.len() >= 15,
        "the message_html scan found only {in_rust:?}"
    );
    used.extend(in_rust);
    used.extend(client::TEXTS.iter().map(|(key, _)| (*key).to_owned()));
    used.extend(client::PLURALS.iter().map(|key| (*key).to_owned()));
    for kind in ["not-found", "closed", "unavailable", "forbidden", "other"] {
        used.insert(format!("error-page-{kind}-heading"));
        used.insert(format!("error-page-{kind}-detail"));
    }
    for lifetime in ["2h", "1d", "1w", "1m", "1y"] {
        used.insert(format!("lifetime-{lifetime}"));
    }
    used.extend(
        [
            "date-time-utc",
            "date-datetime-utc",
            "date-month-short",
            "page-render-failed",
            "form-cross-site",
        ]
        .map(String::from),
    );
    let codes = error_codes();
    assert!(
        codes.contains("slow_down") && codes.contains("invalid_name") && codes.contains("method_not_allowed"),
        "{codes:?}"
    );
    used.extend(codes.iter().map(|code| format!("error-{code}")));
    let missing: Vec<_> = used.difference(&english).collect();
    assert!(missing.is_empty(), "used but not in locales/en: {missing:?}");
}

#[test]
fn the_scripts_get_every_plural_form_of_the_language() {
    let arabic = client::strings(Locale::Ar);
    let presence = &arabic.plurals["live-presence"];
    assert_eq!(
        presence.keys().copied().collect::<Vec<_>>(),
        ["few", "many", "one", "other", "two", "zero"]
    );
    assert_eq!(presence["few"], "{count} أشخاص هنا");
    assert_eq!(presence["one"], "شخص واحد هنا");
    let english = client::strings(Locale::En);
    assert_eq!(english.plurals["live-presence"]["other"], "{count} here");
    assert_eq!(
        english.texts["vote-label"],
        "Upvote the message by {nickname}: {excerpt}"
    );
    let json = client::json(Locale::De);
    assert!(json.contains(r#""lang":"de""#) && !json.contains('<'), "{json}");
}

/// A refused live post shows its reason in the page's language: the page must hand its script a
/// text for every code a `rejected` frame can carry (live.js asks for `error-<code>`, and for
/// slow mode `error-slow_down-soon`, as the frame has no number of seconds to fill in).
#[test]
fn the_scripts_have_a_text_for_every_post_refusal() {
    use tm_core::event::PostRejectionCode as Code;
    let every_code = [
        Code::SlowDown,
        Code::Muted,
        Code::RoomPaused,
        Code::RoomClosed,
        Code::RoomNotFound,
        Code::BodyTooLong,
        Code::BodyEmpty,
        Code::InvalidNickname,
        Code::InvalidBody,
        Code::NotApproved,
    ];
    let german = client::strings(Locale::De);
    for code in every_code {
        // No wildcard: a new code fails to compile here until it is in the list above.
        let key = match code {
            Code::SlowDown => "error-slow_down-soon".to_owned(),
            Code::Muted
            | Code::RoomPaused
            | Code::RoomClosed
            | Code::RoomNotFound
            | Code::BodyTooLong
            | Code::BodyEmpty
            | Code::InvalidNickname
            | Code::InvalidBody
            | Code::NotApproved => format!("error-{}", code.as_str()),
        };
        let english = client::strings(Locale::En).texts.get(key.as_str()).cloned();
        let text = german.texts.get(key.as_str());
        assert!(text.is_some(), "no script text {key}");
        assert_ne!(text.cloned(), english, "{key} is not German");
    }
}
