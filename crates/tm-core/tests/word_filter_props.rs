//! Properties of the word filter that must hold for every text and entry.

// Test helpers panic on purpose: a failed step should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use tm_core::BlockedWords;

/// A Latin word (what most owners block), 1 to 12 letters.
fn word() -> impl Strategy<Value = String> {
    "[a-z]{1,12}"
}

/// Text around a word: anything printable, or other words.
fn surroundings() -> impl Strategy<Value = String> {
    prop_oneof!["[a-zA-Z0-9 .,!?()#@-]{0,20}", "\\PC{0,10}"]
}

/// The full-width form of an ASCII letter (what NFKC maps back).
fn full_width(c: char) -> char {
    char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// A blocked word stands out from what surrounds it by a space: it matches, in any case and
    /// in full width.
    #[test]
    fn a_blocked_word_is_found_between_spaces_in_any_case_or_width(
        w in word(), before in surroundings(), after in surroundings(), upper in any::<bool>(), wide in any::<bool>()
    ) {
        let filter = BlockedWords::parse(&[w.as_str()]).unwrap();
        let mut shown: String = if upper { w.to_uppercase() } else { w.clone() };
        if wide {
            shown = shown.chars().map(full_width).collect();
        }
        let text = format!("{before} {shown} {after}");
        prop_assert!(filter.matches(&text), "{text:?} should match {w:?}");
    }

    /// A word glued to more letters is another word: it does not match.
    #[test]
    fn a_blocked_word_inside_a_longer_word_does_not_match(w in word(), prefix in "[a-z]{0,3}", suffix in "[a-z]{0,3}") {
        prop_assume!(!prefix.is_empty() || !suffix.is_empty());
        let filter = BlockedWords::parse(&[w.as_str()]).unwrap();
        // Digits around it, not words: a fixed word such as "now" could be the blocked word.
        let text = format!("0 {prefix}{w}{suffix} 9");
        prop_assert!(!filter.matches(&text), "{text:?} should not match {w:?}");
    }

    /// A phrase matches its words in a row, whatever separates them, and not in another order.
    #[test]
    fn a_phrase_matches_its_words_in_a_row(a in word(), b in word(), sep in "[ ,.!?-]{1,3}") {
        prop_assume!(a != b);
        let filter = BlockedWords::parse(&[format!("{a} {b}")]).unwrap();
        let in_a_row = format!("0 {a}{sep}{b} 9");
        let swapped = format!("0 {b} {a} 9");
        prop_assert!(filter.matches(&in_a_row), "{in_a_row:?}");
        prop_assert!(!filter.matches(&swapped), "{swapped:?}");
    }

    /// Parsing never panics, and what it accepts it keeps within the limits.
    #[test]
    fn parsing_any_list_keeps_the_limits(entries in proptest::collection::vec("\\PC{0,60}", 0..8)) {
        if let Ok(list) = BlockedWords::parse(&entries) {
            prop_assert!(list.len() <= tm_core::word_filter::MAX_BLOCKED_WORDS);
            for entry in list.entries() {
                prop_assert!(!entry.is_empty());
                prop_assert!(entry.chars().count() <= tm_core::word_filter::MAX_BLOCKED_WORD_CHARS);
                prop_assert!(BlockedWords::parse(&[entry.as_str()]).is_ok(), "an accepted entry parses again");
            }
        }
    }
}
