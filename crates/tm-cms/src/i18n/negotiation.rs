//! Which language a request gets: the reader's explicit choice (the switcher's `tm_lang`
//! cookie), else the best of `Accept-Language` by q-value (RFC 9110 §12.5.4), else English.

use super::Locale;

/// The cookie the language switcher sets.
pub const COOKIE: &str = "tm_lang";

/// The language for a request with this `tm_lang` cookie value and `Accept-Language` header.
/// A cookie naming a language we do not speak is ignored, as if absent.
pub fn resolve(cookie: Option<&str>, accept_language: Option<&str>) -> Locale {
    cookie
        .and_then(Locale::from_tag)
        .or_else(|| accept_language.and_then(best_accepted))
        .unwrap_or(Locale::En)
}

/// The language of `Accept-Language` with the highest q-value that we speak; of equal q-values
/// the one listed first. `q=0` means "not this one". `*` stands for English (our default).
pub fn best_accepted(header: &str) -> Option<Locale> {
    let mut best: Option<(u16, Locale)> = None;
    for (tag, quality) in header.split(',').filter_map(parse_range) {
        if quality == 0 {
            continue;
        }
        let locale = if tag == "*" {
            Some(Locale::En)
        } else {
            Locale::from_tag(tag)
        };
        if let Some(locale) = locale {
            if best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, locale));
            }
        }
    }
    best.map(|(_, locale)| locale)
}

/// One `language-range;q=weight` as (range, weight in thousandths). A malformed weight drops
/// the range (RFC: it is invalid); a missing one is 1.
fn parse_range(item: &str) -> Option<(&str, u16)> {
    let mut parts = item.split(';');
    let tag = parts.next()?.trim();
    if tag.is_empty() {
        return None;
    }
    let mut quality = 1000;
    for parameter in parts {
        let Some((name, value)) = parameter.split_once('=') else {
            continue;
        };
        if name.trim().eq_ignore_ascii_case("q") {
            quality = parse_quality(value.trim())?;
        }
    }
    Some((tag, quality))
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )` in thousandths.
fn parse_quality(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_q_value_we_speak_wins() {
        assert_eq!(best_accepted("fr;q=0.9, de;q=0.8, es;q=0.85"), Some(Locale::Es));
        assert_eq!(best_accepted("de;q=0.5, ar"), Some(Locale::Ar));
        assert_eq!(best_accepted("en;q=0.1, de-AT;q=0.7, de;q=0.6"), Some(Locale::De));
        assert_eq!(best_accepted("ES-mx"), Some(Locale::Es));
    }

    #[test]
    fn equal_q_values_keep_the_listed_order() {
        assert_eq!(best_accepted("de, es"), Some(Locale::De));
        assert_eq!(best_accepted("es;q=0.5, de;q=0.5"), Some(Locale::Es));
    }

    #[test]
    fn q_zero_and_unknown_languages_are_not_chosen() {
        assert_eq!(best_accepted("de;q=0, fr"), None);
        assert_eq!(best_accepted("fr, ja;q=0.9"), None);
        assert_eq!(best_accepted(""), None);
        assert_eq!(best_accepted("de;q=2, es;q=abc, ar;q=0.1234"), None);
        assert_eq!(best_accepted("fr, *;q=0.1"), Some(Locale::En));
    }

    #[test]
    fn the_cookie_beats_the_header_and_english_is_the_default() {
        assert_eq!(resolve(Some("ar"), Some("de")), Locale::Ar);
        assert_eq!(resolve(Some("klingon"), Some("es;q=0.3")), Locale::Es);
        assert_eq!(resolve(None, Some("fr")), Locale::En);
        assert_eq!(resolve(None, None), Locale::En);
    }
}
