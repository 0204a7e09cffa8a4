//! The strings the page hands to its scripts (`static/live.js`, `controls.js`, `home.js`): no
//! script carries English of its own. `base.html` writes them as JSON into
//! `<script type="application/json" id="tm-strings">`:
//!
//! ```json
//! {"lang": "de",
//!  "texts": {"live-sending": "wird gesendet …", "vote-label": "… {nickname}: {excerpt}"},
//!  "plurals": {"live-presence": {"one": "{count} hier", "other": "{count} hier"}}}
//! ```
//!
//! `{name}` placeholders are filled in by the script. A plural has one text per CLDR category
//! of the language (what `Intl.PluralRules(lang).select(n)` answers); its number is `{count}`,
//! which the script writes with `Intl.NumberFormat(lang)`.

use std::collections::BTreeMap;

use fluent_bundle::FluentValue;
use intl_pluralrules::{PluralCategory, PluralRuleType, PluralRules};
use serde::Serialize;
use unic_langid::LanguageIdentifier;

use super::{args, format, Locale};

/// Texts the scripts use, each with the names of its placeholders.
pub const TEXTS: &[(&str, &[&str])] = &[
    ("live-connecting", &[]),
    ("live-reconnecting", &[]),
    ("live-live", &[]),
    ("live-sending", &[]),
    ("live-sent", &[]),
    ("live-waiting-to-send", &[]),
    ("live-not-sent", &["reason"]),
    ("live-enter-nickname-and-message", &[]),
    ("message-via", &["kind"]),
    ("message-waiting-for-approval", &[]),
    ("room-state-paused", &[]),
    ("room-state-closed", &[]),
    ("vote-label", &["nickname", "excerpt"]),
    ("badge-answered", &[]),
    ("badge-pinned", &[]),
    ("action-mark-answered", &[]),
    ("action-mark-unanswered", &[]),
    ("action-pin", &[]),
    ("action-unpin", &[]),
    ("pinned-label", &[]),
    ("poll-state-open", &[]),
    ("poll-state-open-any", &[]),
    ("poll-state-closed", &[]),
    ("poll-option-count", &["votes", "share"]),
    ("poll-option-share", &["option", "share"]),
    ("react-with", &["emoji"]),
    ("copy-done", &[]),
    ("copy-by-hand", &[]),
    ("name-check-free", &["path"]),
    ("name-check-taken", &["path"]),
    // Why a live post or reaction was refused (`rejected` and `error` frames), by code: the
    // frames' own `message` is English.
    ("error-slow_down-soon", &[]),
    ("error-muted", &[]),
    ("error-room_paused", &[]),
    ("error-room_closed", &[]),
    ("error-room_not_found", &[]),
    ("error-body_too_long", &[]),
    ("error-body_empty", &[]),
    ("error-invalid_nickname", &[]),
    ("error-invalid_body", &[]),
    ("error-not_approved", &[]),
    ("error-invalid_token", &[]),
    ("error-invalid_reaction", &[]),
    ("error-unavailable", &[]),
];

/// Texts with a `$count` whose form depends on the number.
pub const PLURALS: &[&str] = &["live-presence", "poll-voted"];

#[derive(Debug, Serialize)]
pub struct ClientStrings {
    pub lang: &'static str,
    pub texts: BTreeMap<&'static str, String>,
    pub plurals: BTreeMap<&'static str, BTreeMap<&'static str, String>>,
}

/// The scripts' strings in `locale`.
pub fn strings(locale: Locale) -> ClientStrings {
    let texts = TEXTS
        .iter()
        .map(|(key, placeholders)| {
            let values = args(
                placeholders
                    .iter()
                    .map(|name| (*name, FluentValue::from(format!("{{{name}}}")))),
            );
            (*key, locale.text(key, Some(&values)))
        })
        .collect();
    let plurals = PLURALS.iter().map(|key| (*key, plural_forms(locale, key))).collect();
    ClientStrings {
        lang: locale.tag(),
        texts,
        plurals,
    }
}

/// Numbers that between them fall in every CLDR plural category of our languages.
const PLURAL_SAMPLES: [u32; 7] = [0, 1, 2, 3, 11, 100, 1_000_000];

/// `key` in each plural category of `locale`, with `{count}` where the number goes: the
/// message is formatted with a sample number of that category, whose written form is then
/// replaced by the placeholder.
fn plural_forms(locale: Locale, key: &str) -> BTreeMap<&'static str, String> {
    let id: LanguageIdentifier = locale.tag().parse().unwrap_or_default();
    let Ok(rules) = PluralRules::create(id, PluralRuleType::CARDINAL) else {
        return BTreeMap::new();
    };
    let mut forms = BTreeMap::new();
    for sample in PLURAL_SAMPLES {
        let Ok(category) = rules.select(sample) else {
            continue;
        };
        let name = category_name(category);
        if forms.contains_key(name) {
            continue;
        }
        let text = locale.text(key, Some(&args([("count", FluentValue::from(sample))])));
        let written = format::number(locale, f64::from(sample));
        forms.insert(name, text.replace(&written, "{count}"));
    }
    forms
}

/// The category as `Intl.PluralRules.prototype.select` names it.
fn category_name(category: PluralCategory) -> &'static str {
    match category {
        PluralCategory::ZERO => "zero",
        PluralCategory::ONE => "one",
        PluralCategory::TWO => "two",
        PluralCategory::FEW => "few",
        PluralCategory::MANY => "many",
        PluralCategory::OTHER => "other",
    }
}

/// The JSON for `<script type="application/json">`: `<`, `>` and `&` escaped so that no text
/// can end the element early.
pub fn json(locale: Locale) -> String {
    let text = serde_json::to_string(&strings(locale)).unwrap_or_else(|_| "{}".to_owned());
    text.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}
