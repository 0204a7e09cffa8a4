//! Numbers and UTC dates the locale's way, on the server. (The browser formats its own with
//! `Intl` in the page's language: `static/localtime.js`, `static/live.js`.)
//!
//! Numbers: the CLDR digits and grouping of each language (`1,234` · `1.234` · `1234` and
//! `12.345` in Spanish, whose grouping starts at five digits · Arabic with Western digits). Dates: the pattern and
//! month names come from the language's `date-*` messages, so a translator owns them.

use fluent_bundle::FluentValue;
use intl_memoizer::concurrent::IntlLangMemoizer as Memoizer;
use time::{OffsetDateTime, UtcOffset};

use super::{args, Locale};

/// How one language writes numbers.
struct NumberStyle {
    /// Its ten digits, zero first.
    digits: [char; 10],
    group: char,
    decimal: char,
    /// The fewest digits a number needs before it is grouped.
    min_grouping_digits: usize,
}

const LATIN: [char; 10] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

fn style(locale: Locale) -> NumberStyle {
    match locale {
        Locale::En => NumberStyle {
            digits: LATIN,
            group: ',',
            decimal: '.',
            min_grouping_digits: 4,
        },
        Locale::De => NumberStyle {
            digits: LATIN,
            group: '.',
            decimal: ',',
            min_grouping_digits: 4,
        },
        Locale::Es => NumberStyle {
            digits: LATIN,
            group: '.',
            decimal: ',',
            min_grouping_digits: 5,
        },
        // Western digits, as browsers' `Intl` writes Arabic (CLDR's default for `ar`), so the
        // server's numbers match those the page's scripts write.
        Locale::Ar => NumberStyle {
            digits: LATIN,
            group: ',',
            decimal: '.',
            min_grouping_digits: 4,
        },
    }
}

/// `value` written the way `locale` writes numbers, with up to two decimals.
pub fn number(locale: Locale, value: f64) -> String {
    let style = style(locale);
    let negative = value < 0.0;
    let rounded = (value.abs() * 100.0).round() / 100.0;
    let text = format!("{rounded}");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::new();
    if negative && rounded != 0.0 {
        out.push('-');
    }
    let grouped = whole.len() >= style.min_grouping_digits;
    for (i, c) in whole.chars().enumerate() {
        if grouped && i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(style.group);
        }
        out.push(localise_digit(&style, c));
    }
    if !fraction.is_empty() {
        out.push(style.decimal);
        out.extend(fraction.chars().map(|c| localise_digit(&style, c)));
    }
    out
}

/// Digits only, without grouping: years and days in dates.
pub fn digits(locale: Locale, text: &str) -> String {
    let style = style(locale);
    text.chars().map(|c| localise_digit(&style, c)).collect()
}

fn localise_digit(style: &NumberStyle, c: char) -> char {
    c.to_digit(10)
        .and_then(|d| style.digits.get(d as usize).copied())
        .unwrap_or(c)
}

/// The Fluent formatter of a language: its numbers through [`number`].
pub fn fluent_formatter(locale: Locale) -> fn(&FluentValue, &Memoizer) -> Option<String> {
    fn with(locale: Locale, value: &FluentValue) -> Option<String> {
        match value {
            FluentValue::Number(n) => Some(number(locale, n.value)),
            _ => None,
        }
    }
    // A plain `fn` per language: Fluent takes a function pointer, not a closure.
    match locale {
        Locale::En => |v, _| with(Locale::En, v),
        Locale::De => |v, _| with(Locale::De, v),
        Locale::Es => |v, _| with(Locale::Es, v),
        Locale::Ar => |v, _| with(Locale::Ar, v),
    }
}

/// `14:02 UTC` (the language's `date-time-utc`).
pub fn utc_time(locale: Locale, at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    locale.text(
        "date-time-utc",
        Some(&args([("time", FluentValue::from(clock(locale, at)))])),
    )
}

/// `5 Dec 2026, 14:02 UTC` (the language's `date-datetime-utc` and `date-month-short`).
pub fn utc_datetime(locale: Locale, at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    let month = locale.text(
        "date-month-short",
        Some(&args([("month", FluentValue::from(u8::from(at.month())))])),
    );
    locale.text(
        "date-datetime-utc",
        Some(&args([
            ("day", FluentValue::from(digits(locale, &at.day().to_string()))),
            ("month", FluentValue::from(month)),
            ("year", FluentValue::from(digits(locale, &at.year().to_string()))),
            ("time", FluentValue::from(clock(locale, at))),
        ])),
    )
}

fn clock(locale: Locale, at: OffsetDateTime) -> String {
    digits(locale, &format!("{:02}:{:02}", at.hour(), at.minute()))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn numbers_group_and_use_each_languages_digits() {
        assert_eq!(number(Locale::En, 1234567.0), "1,234,567");
        assert_eq!(number(Locale::De, 1234.0), "1.234");
        assert_eq!(number(Locale::Es, 1234.0), "1234");
        assert_eq!(number(Locale::Es, 12345.0), "12.345");
        assert_eq!(number(Locale::Ar, 1234.0), "1,234");
        assert_eq!(number(Locale::De, 2.5), "2,5");
        assert_eq!(number(Locale::En, 42.0), "42");
        assert_eq!(number(Locale::En, -3.0), "-3");
    }

    #[test]
    fn dates_follow_the_language() {
        let at = datetime!(2026-12-05 15:02:09 +01:00);
        assert_eq!(utc_time(Locale::En, at), "14:02 UTC");
        assert_eq!(utc_datetime(Locale::En, at), "5 Dec 2026, 14:02 UTC");
        assert_eq!(utc_datetime(Locale::De, at), "5. Dez. 2026, 14:02 UTC");
        assert_eq!(utc_datetime(Locale::Es, at), "5 dic 2026, 14:02 UTC");
        assert_eq!(utc_datetime(Locale::Ar, at), "5 ديسمبر 2026، 14:02 UTC");
    }

    #[test]
    fn fluent_messages_format_their_numbers_per_language() {
        let count = args([("count", FluentValue::from(1234))]);
        assert_eq!(Locale::De.text("live-presence", Some(&count)), "1.234 hier");
        assert_eq!(Locale::En.text("live-presence", Some(&count)), "1,234 here");
        assert_eq!(Locale::Es.text("live-presence", Some(&count)), "1234 personas aquí");
        assert_eq!(Locale::Ar.text("live-presence", Some(&count)), "1,234 شخص هنا");
        let one = args([("count", FluentValue::from(1))]);
        assert_eq!(Locale::De.text("poll-voted", Some(&one)), "hat abgestimmt");
    }
}
