//! Characters no user text may carry: they hide or reorder what others see.
//!
//! Most invisible characters are refused outright ([`is_forbidden_char`]). Two are judged by
//! their neighbours ([`has_forbidden_char`], [`strip_forbidden`]): the zero-width joiner
//! (U+200D) and non-joiner (U+200C) are how emoji sequences (👩‍💻, 🏳️‍🌈) are spelled and how
//! Persian, Arabic and the Indic scripts choose letter forms ("می‌خواهم"), so they are allowed
//! *between* two characters that use them, and refused anywhere else (where they would only
//! hide a difference between two strings that look the same). Bidi overrides and isolates stay
//! refused everywhere.

/// Control characters (C0, DEL, C1), bidi overrides and isolates, zero-width and other
/// invisible format characters, and Unicode tag characters. The joiners (U+200C, U+200D) are
/// in this set: on their own they are invisible; see [`has_forbidden_char`] for where they are
/// allowed.
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM, RLM
                | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
                | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
                | '\u{2066}'..='\u{2069}' // bidi isolates
                | '\u{FEFF}' // zero-width no-break space / BOM
                | '\u{00AD}' // soft hyphen
                | '\u{034F}' // combining grapheme joiner
                | '\u{061C}' // Arabic letter mark
                | '\u{180E}' // Mongolian vowel separator
                | '\u{FFF9}'..='\u{FFFB}' // interlinear annotations
                | '\u{E0000}'..='\u{E007F}' // tag characters
        )
}

const ZWNJ: char = '\u{200C}';
const ZWJ: char = '\u{200D}';

/// Emoji that take part in ZWJ sequences (an over-approximation of Extended_Pictographic).
fn is_pictographic(c: char) -> bool {
    matches!(
        c,
        '\u{00A9}'
            | '\u{00AE}'
            | '\u{203C}'
            | '\u{2049}'
            | '\u{2122}'
            | '\u{2139}'
            | '\u{2194}'..='\u{21AA}'
            | '\u{231A}'..='\u{23FF}'
            | '\u{24C2}'
            | '\u{25AA}'..='\u{27BF}'
            | '\u{2934}'..='\u{2935}'
            | '\u{2B05}'..='\u{2B55}'
            | '\u{3030}'
            | '\u{303D}'
            | '\u{3297}'
            | '\u{3299}'
            | '\u{1F000}'..='\u{1FAFF}'
    )
}

/// What may end the emoji before a ZWJ: an emoji, its presentation selector (U+FE0F), a skin
/// tone (inside the emoji block) or the keycap mark.
fn ends_emoji(c: char) -> bool {
    is_pictographic(c) || c == '\u{FE0F}' || c == '\u{20E3}'
}

/// Scripts whose spelling uses ZWJ/ZWNJ between letters: Arabic (Persian, Urdu…), Syriac,
/// N'Ko, Mandaic, the Indic scripts (Devanagari to Sinhala), Tibetan, Myanmar, Khmer,
/// Mongolian, and the Arabic presentation forms.
fn uses_joiners(c: char) -> bool {
    !is_forbidden_char(c)
        && matches!(
            c,
            '\u{0600}'..='\u{08FF}'
                | '\u{0900}'..='\u{0DFF}'
                | '\u{0F00}'..='\u{0FFF}'
                | '\u{1000}'..='\u{109F}'
                | '\u{1780}'..='\u{18AF}'
                | '\u{A8E0}'..='\u{A8FF}'
                | '\u{FB50}'..='\u{FDFF}'
                | '\u{FE70}'..='\u{FEFE}'
        )
}

/// Whether a joiner between `before` and `after` does a joiner's job.
fn joiner_allowed(joiner: char, before: Option<char>, after: Option<char>) -> bool {
    let (Some(before), Some(after)) = (before, after) else {
        return false;
    };
    let in_script = uses_joiners(before) && uses_joiners(after);
    let in_emoji = joiner == ZWJ && ends_emoji(before) && is_pictographic(after);
    in_script || in_emoji
}

/// The characters of `text` with, for each, whether it is forbidden where it stands.
fn judged(text: &str) -> impl Iterator<Item = (char, bool)> + '_ {
    let chars: Vec<char> = text.chars().collect();
    (0..chars.len()).map(move |i| {
        let c = chars[i];
        let forbidden = if c == ZWJ || c == ZWNJ {
            let before = i.checked_sub(1).map(|j| chars[j]);
            !joiner_allowed(c, before, chars.get(i + 1).copied())
        } else {
            is_forbidden_char(c)
        };
        (c, forbidden)
    })
}

/// Whether `text` carries a character no user text may carry (line breaks count as such unless
/// `allow_newlines`). Joiners are judged by their neighbours (see the module).
pub fn has_forbidden_char(text: &str, allow_newlines: bool) -> bool {
    judged(text).any(|(c, forbidden)| forbidden && !(allow_newlines && c == '\n'))
}

/// `text` without the characters [`has_forbidden_char`] refuses: for text from elsewhere
/// (ingested posts and author names), which is cleaned rather than refused. Forbidden white
/// space (line breaks, tabs) becomes a space unless `keep_newlines` keeps `\n`.
pub fn strip_forbidden(text: &str, keep_newlines: bool) -> String {
    judged(text)
        .filter_map(|(c, forbidden)| match (forbidden, c) {
            (false, c) => Some(c),
            (true, '\n') if keep_newlines => Some('\n'),
            (true, c) if c.is_whitespace() => Some(' '),
            (true, _) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_every_class_it_promises() {
        for c in [
            '\u{0}',
            '\u{7}',
            '\u{1B}',
            '\u{7F}',
            '\u{85}',
            '\u{200B}',
            '\u{200D}',
            '\u{202E}',
            '\u{2066}',
            '\u{FEFF}',
            '\u{E0041}',
            '\u{061C}',
        ] {
            assert!(is_forbidden_char(c), "{:?} should be forbidden", c);
        }
        for c in ['a', 'é', '漢', '😀', ' ', '-', '#', '@'] {
            assert!(!is_forbidden_char(c), "{c:?} should be allowed");
        }
    }

    #[test]
    fn joiners_are_allowed_inside_emoji_sequences_and_joining_scripts() {
        for good in [
            "👩\u{200D}💻",                  // woman technologist
            "🧑🏽\u{200D}💻",                  // with a skin tone
            "🏳\u{FE0F}\u{200D}🌈",           // rainbow flag
            "👩\u{200D}❤\u{FE0F}\u{200D}👨", // couple with heart
            "🏃\u{200D}♀\u{FE0F}",           // woman running
            "می\u{200C}خواهم",               // Persian: "I want"
            "क्\u{200D}ष",                    // Devanagari half form
        ] {
            assert!(!has_forbidden_char(good, false), "{good:?} should be allowed");
        }
    }

    #[test]
    fn stray_joiners_and_bidi_controls_are_still_refused() {
        for bad in [
            "Ada\u{200D}", // trailing
            "\u{200D}Ada", // leading
            "A\u{200D}da", // between Latin letters: only hides a difference
            "A\u{200C}da",
            "👩\u{200C}💻",            // a non-joiner does not join emoji
            "👩\u{200D}\u{200D}💻",    // doubled
            "👩\u{200D} 💻",           // before a space
            "می\u{200C}\u{202E}خواهم", // a joiner next to an override
            "evil\u{202E}gnp",
            "rtl\u{2067}isolate\u{2069}",
            "a\u{200B}b",
        ] {
            assert!(has_forbidden_char(bad, false), "{bad:?} should be refused");
        }
        assert!(has_forbidden_char("a\nb", false));
        assert!(!has_forbidden_char("a\nb", true));
    }

    #[test]
    fn stripping_keeps_what_is_allowed_and_drops_the_rest() {
        assert_eq!(strip_forbidden("evil\u{202E}gnp.exe", false), "evilgnp.exe");
        assert_eq!(strip_forbidden("Ada\u{200D}\u{2066}", false), "Ada");
        assert_eq!(strip_forbidden("👩\u{200D}💻 dev", false), "👩\u{200D}💻 dev");
        assert_eq!(strip_forbidden("می\u{200C}خواهم", false), "می\u{200C}خواهم");
        assert_eq!(strip_forbidden("two\nlines\ttab", false), "two lines tab");
        assert_eq!(strip_forbidden("two\nlines\u{7}", true), "two\nlines");
        let once = strip_forbidden("x\u{200D}\u{202E}👩\u{200D}💻\u{E0041}", false);
        assert!(!has_forbidden_char(&once, false), "{once:?}");
        assert_eq!(strip_forbidden(&once, false), once, "stripping twice changes nothing");
    }
}
