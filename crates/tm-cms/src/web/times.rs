//! Times on pages. The server writes them in UTC and says so ("14:02 UTC"), inside
//! `<time datetime="…" data-local="time|datetime">`; `static/localtime.js` rewrites them in the
//! reader's own time zone and language, with the same formats the live module uses for messages
//! that arrive live, so a page never mixes UTC and local times. Without JavaScript the UTC
//! labels stay, and they say they are UTC.
//!
//! Templates format with the tera filters `utc_time` and `utc_datetime` (RFC 3339 in, label
//! out), through the `macros::local_time` macro.

use std::collections::HashMap;

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// `14:02 UTC`.
pub fn utc_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    let format = format_description!("[hour]:[minute] UTC");
    at.format(&format).unwrap_or_default()
}

/// `5 Dec 2026, 14:02 UTC`.
pub fn utc_datetime(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    let format = format_description!("[day padding:none] [month repr:short] [year], [hour]:[minute] UTC");
    at.format(&format).unwrap_or_default()
}

/// Registers the filters on a tera instance.
pub fn register(tera: &mut tera::Tera) {
    tera.register_filter("utc_time", |value: &tera::Value, _: &HashMap<String, tera::Value>| {
        filter(value, utc_time)
    });
    tera.register_filter(
        "utc_datetime",
        |value: &tera::Value, _: &HashMap<String, tera::Value>| filter(value, utc_datetime),
    );
}

fn filter(value: &tera::Value, format: fn(OffsetDateTime) -> String) -> tera::Result<tera::Value> {
    let text = value
        .as_str()
        .ok_or_else(|| tera::Error::msg(format!("a time must be an RFC 3339 string, not {value}")))?;
    let at = OffsetDateTime::parse(text, &Rfc3339).map_err(|e| tera::Error::msg(format!("{text:?}: {e}")))?;
    Ok(tera::Value::String(format(at)))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn labels_are_in_utc_and_say_so() {
        let at = datetime!(2026-12-05 15:02:09 +01:00);
        assert_eq!(utc_time(at), "14:02 UTC");
        assert_eq!(utc_datetime(at), "5 Dec 2026, 14:02 UTC");
        let value = tera::Value::String("2026-12-05T23:59:59.5-02:00".into());
        assert_eq!(filter(&value, utc_datetime).unwrap(), "6 Dec 2026, 01:59 UTC");
        assert!(filter(&tera::Value::Null, utc_time).is_err());
    }
}
