//! Times on pages. The server writes them in UTC and says so ("14:02 UTC"), inside
//! `<time datetime="…" data-local="time|datetime">`; `static/localtime.js` rewrites them in the
//! reader's own time zone, in the page's language, with the same formats the live module uses
//! for messages that arrive live, so a page never mixes UTC and local times. Without JavaScript
//! the UTC labels stay, and they say they are UTC.
//!
//! Templates format with the tera filters `utc_time` and `utc_datetime` (RFC 3339 in, label
//! out, in the page's language: `i18n::format`), through the `macros::local_time` macro;
//! message items (`web::message_html`) write the same `<time>` with the same labels.

use std::collections::HashMap;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::i18n::{format, Locale};

/// Registers the filters of `locale` on its tera instance.
pub fn register(tera: &mut tera::Tera, locale: Locale) {
    tera.register_filter(
        "utc_time",
        move |value: &tera::Value, _: &HashMap<String, tera::Value>| filter(value, |at| format::utc_time(locale, at)),
    );
    tera.register_filter(
        "utc_datetime",
        move |value: &tera::Value, _: &HashMap<String, tera::Value>| {
            filter(value, |at| format::utc_datetime(locale, at))
        },
    );
}

fn filter(value: &tera::Value, format: impl Fn(OffsetDateTime) -> String) -> tera::Result<tera::Value> {
    let text = value
        .as_str()
        .ok_or_else(|| tera::Error::msg(format!("a time must be an RFC 3339 string, not {value}")))?;
    let at = OffsetDateTime::parse(text, &Rfc3339).map_err(|e| tera::Error::msg(format!("{text:?}: {e}")))?;
    Ok(tera::Value::String(format(at)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_in_utc_and_say_so() {
        let utc = |at| format::utc_datetime(Locale::En, at);
        let value = tera::Value::String("2026-12-05T23:59:59.5-02:00".into());
        assert_eq!(filter(&value, utc).unwrap(), "6 Dec 2026, 01:59 UTC");
        assert!(filter(&tera::Value::Null, utc).is_err());
    }
}
