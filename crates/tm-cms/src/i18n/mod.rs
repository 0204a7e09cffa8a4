//! Internationalisation: the languages tm speaks, their texts and how numbers and dates read in
//! each (docs/i18n.md).
//!
//! Texts are [Fluent](https://projectfluent.org) messages in `locales/<tag>/*.ftl`, compiled into
//! the binary. English is the reference: every language has exactly its keys (a unit test below
//! fails otherwise), and a lookup that still misses falls back to English, then to the key.
//!
//! * [`negotiation`]: which language a request gets (the `tm_lang` cookie, then
//!   `Accept-Language` with q-values, then English);
//! * [`request`]: the middleware that resolves it once per request and makes it the
//!   [`current`] language of everything that request renders (pages, API error messages);
//! * [`format`]: numbers and UTC dates written the locale's way;
//! * [`client`]: the strings the page hands to `static/live.js`.

pub mod client;
pub mod format;
pub mod negotiation;
pub mod request;

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

pub use request::{current, negotiate};

/// A language tm speaks. Adding one: docs/i18n.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Locale {
    En,
    De,
    Es,
    Ar,
}

/// Which way a language's text runs: `dir` of `<html>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ltr,
    Rtl,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ltr => "ltr",
            Direction::Rtl => "rtl",
        }
    }
}

/// The `.ftl` files of one language: (file name, contents).
type Sources = &'static [(&'static str, &'static str)];

macro_rules! ftl_files {
    ($tag:literal) => {
        &[
            ("pages.ftl", include_str!(concat!("../../locales/", $tag, "/pages.ftl"))),
            ("live.ftl", include_str!(concat!("../../locales/", $tag, "/live.ftl"))),
            (
                "errors.ftl",
                include_str!(concat!("../../locales/", $tag, "/errors.ftl")),
            ),
        ]
    };
}

impl Locale {
    /// Every language, English (the default and reference) first.
    pub const ALL: [Locale; 4] = [Locale::En, Locale::De, Locale::Es, Locale::Ar];

    /// The BCP 47 tag: `lang` attributes, the `tm_lang` cookie, `Content-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::De => "de",
            Locale::Es => "es",
            Locale::Ar => "ar",
        }
    }

    /// The language's name in itself, as the switcher lists it.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::De => "Deutsch",
            Locale::Es => "Español",
            Locale::Ar => "العربية",
        }
    }

    pub fn direction(self) -> Direction {
        match self {
            Locale::Ar => Direction::Rtl,
            _ => Direction::Ltr,
        }
    }

    /// The language a tag names, by its primary subtag (`de-AT` → German), case-insensitively.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let primary = tag.trim().split(['-', '_']).next()?;
        Locale::ALL
            .into_iter()
            .find(|locale| locale.tag().eq_ignore_ascii_case(primary))
    }

    /// This language's Fluent files, compiled in.
    pub fn sources(self) -> Sources {
        match self {
            Locale::En => ftl_files!("en"),
            Locale::De => ftl_files!("de"),
            Locale::Es => ftl_files!("es"),
            Locale::Ar => ftl_files!("ar"),
        }
    }

    fn index(self) -> usize {
        Locale::ALL.iter().position(|l| *l == self).unwrap_or(0)
    }

    /// The text of `key` in this language, with `args` filled in.
    pub fn text(self, key: &str, args: Option<&FluentArgs>) -> String {
        let bundles = bundles();
        [self, Locale::En]
            .into_iter()
            .find_map(|locale| format_message(&bundles[locale.index()], key, args))
            .unwrap_or_else(|| {
                tracing::warn!(key, locale = self.tag(), "no text for this key");
                key.to_owned()
            })
    }

    /// `text` without arguments.
    pub fn simple(self, key: &str) -> String {
        self.text(key, None)
    }

    /// Whether this language has a text for `key` (not falling back to English).
    pub fn has(self, key: &str) -> bool {
        bundles()[self.index()].has_message(key)
    }
}

type Bundle = FluentBundle<FluentResource>;

fn format_message(bundle: &Bundle, key: &str, args: Option<&FluentArgs>) -> Option<String> {
    let pattern = bundle.get_message(key)?.value()?;
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, args, &mut errors);
    if !errors.is_empty() {
        tracing::warn!(key, ?errors, "a text did not format cleanly");
    }
    Some(text.into_owned())
}

/// One bundle per language, built on first use. A file that does not parse loses only its
/// broken entries (logged; the key test fails on it).
fn bundles() -> &'static [Bundle; 4] {
    static BUNDLES: OnceLock<[Bundle; 4]> = OnceLock::new();
    BUNDLES.get_or_init(|| Locale::ALL.map(build_bundle))
}

fn build_bundle(locale: Locale) -> Bundle {
    let id: LanguageIdentifier = locale.tag().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks around arguments: they would end up inside attribute values
    // and copied text. The page's `dir` and the browser's bidi algorithm place them.
    bundle.set_use_isolating(false);
    bundle.set_formatter(Some(format::fluent_formatter(locale)));
    for (file, text) in locale.sources() {
        let resource = FluentResource::try_new((*text).to_owned()).unwrap_or_else(|(partial, errors)| {
            tracing::error!(locale = locale.tag(), file, ?errors, "a Fluent file has syntax errors");
            partial
        });
        if let Err(errors) = bundle.add_resource(resource) {
            tracing::error!(locale = locale.tag(), file, ?errors, "a Fluent file repeats a key");
        }
    }
    bundle
}

/// An error's message in the request's language: English answers keep the engine's own
/// `english` wording (it can name the exact limit or value); other languages say it with their
/// `error-<code>` text, with `$seconds` where the answer has a `Retry-After`.
pub fn error_message(code: &str, english: &str, retry_after_secs: Option<u64>) -> String {
    let locale = current();
    let key = format!("error-{code}");
    if locale == Locale::En || !locale.has(&key) {
        return english.to_owned();
    }
    let seconds = retry_after_secs.map_or(FluentValue::None, FluentValue::from);
    locale.text(&key, Some(&args([("seconds", seconds)])))
}

/// Arguments for [`Locale::text`] from `(name, value)` pairs.
pub fn args<'a>(pairs: impl IntoIterator<Item = (&'a str, FluentValue<'a>)>) -> FluentArgs<'a> {
    let mut args = FluentArgs::new();
    for (name, value) in pairs {
        args.set(name, value);
    }
    args
}

#[cfg(test)]
mod tests;
