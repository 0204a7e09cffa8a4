//! A room's word filter: words and phrases its owner lists, whose posts are held for approval
//! instead of shown.
//!
//! Matching is on whole words, after the same normalisation on both sides ([`match_words`]):
//! NFKC (full-width and other compatibility forms become their plain letters, so "ＢＡＤ" is
//! "BAD"), Unicode case folding ("Bad", "BAD", and "Straße" / "STRASSE" fold alike), and
//! invisible default-ignorable characters dropped (a soft hyphen or a variation selector must
//! not hide a word). The text is then cut into words at Unicode word boundaries (UAX #29, which
//! also splits ideographic text into single characters), and further at the punctuation UAX #29
//! keeps inside a word (`.` `:` `'` `,` `_` …), which would otherwise let "so.bad" or "bad's"
//! through. So "bad" matches "Bad!", "#bad", "(bad)" and "bad's" but not "badminton" or
//! "sinbad"; an entry of several words matches those words in a row, whatever spaces or
//! punctuation stand between them.

use unicase::UniCase;
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

use crate::domain::has_forbidden_char;

/// How many words or phrases a room may block.
pub const MAX_BLOCKED_WORDS: usize = 100;
/// The longest entry, in characters.
pub const MAX_BLOCKED_WORD_CHARS: usize = 50;

/// Why a list of blocked words was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockedWordsError {
    #[error("a room blocks at most {MAX_BLOCKED_WORDS} words or phrases")]
    TooMany,
    #[error(
        "blocked words and phrases are 1 to {MAX_BLOCKED_WORD_CHARS} characters with at least one \
         letter or digit, without control or invisible characters; refused: {0:?}"
    )]
    Invalid(String),
}

/// One blocked entry: as the owner wrote it (trimmed, inner white space collapsed to single
/// spaces), and the normalised words it matches.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    text: String,
    words: Vec<String>,
}

/// A room's blocked words and phrases, each valid, in the owner's order, without two entries
/// that match the same words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockedWords(Vec<Entry>);

impl BlockedWords {
    /// Validates an owner's list. Blank entries are skipped (a form's empty lines); entries that
    /// normalise to the same words are kept once.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, BlockedWordsError> {
        let mut parsed: Vec<Entry> = Vec::new();
        for entry in entries {
            let raw = entry.as_ref();
            let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
            if text.is_empty() {
                continue;
            }
            // Checked on the raw entry: a tab or line break inside it is refused, not collapsed.
            if text.chars().count() > MAX_BLOCKED_WORD_CHARS || has_forbidden_char(raw.trim(), false) {
                return Err(BlockedWordsError::Invalid(raw.to_owned()));
            }
            let words = match_words(&text);
            if words.is_empty() {
                return Err(BlockedWordsError::Invalid(raw.to_owned()));
            }
            if !parsed.iter().any(|known| known.words == words) {
                parsed.push(Entry { text, words });
            }
        }
        if parsed.len() > MAX_BLOCKED_WORDS {
            return Err(BlockedWordsError::TooMany);
        }
        Ok(BlockedWords(parsed))
    }

    /// The entries as the owner wrote them.
    pub fn entries(&self) -> Vec<String> {
        self.0.iter().map(|entry| entry.text.clone()).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether `text` contains one of the entries as whole words.
    pub fn matches(&self, text: &str) -> bool {
        if self.0.is_empty() {
            return false;
        }
        let words = match_words(text);
        self.0.iter().any(|entry| {
            words
                .windows(entry.words.len())
                .any(|run| run == entry.words.as_slice())
        })
    }
}

/// `text` as the filter compares it: normalised (see the module) and cut into words, without
/// the spaces and punctuation between them.
pub fn match_words(text: &str) -> Vec<String> {
    let visible: String = text.chars().filter(|c| !is_default_ignorable(*c)).collect();
    let compatible: String = visible.nfkc().collect();
    // Folding can leave text that is no longer in normal form (a folded letter may decompose or
    // compose differently): normalise again, as Unicode's NFKC_Casefold does.
    let folded: String = UniCase::new(compatible.as_str()).to_folded_case().nfkc().collect();
    folded
        .unicode_words()
        .flat_map(|word| word.split(is_inner_punctuation))
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The punctuation UAX #29 lets stand inside a word (its MidLetter, MidNumLet, MidNum,
/// Single_Quote and ExtendNumLet classes, after NFKC has mapped the full-width forms).
fn is_inner_punctuation(c: char) -> bool {
    matches!(
        c,
        '.' | ':'
            | '\''
            | ','
            | ';'
            | '_'
            | '\u{00B7}'
            | '\u{0387}'
            | '\u{055F}'
            | '\u{05F4}'
            | '\u{060C}'
            | '\u{060D}'
            | '\u{066C}'
            | '\u{07F8}'
            | '\u{2018}'
            | '\u{2019}'
            | '\u{2024}'
            | '\u{2027}'
            | '\u{202F}'
            | '\u{203F}'
            | '\u{2040}'
            | '\u{2044}'
            | '\u{2054}'
    )
}

/// Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt): characters that
/// show nothing, which NFKC keeps but a reader never sees.
fn is_default_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocked(entries: &[&str]) -> BlockedWords {
        BlockedWords::parse(entries).unwrap()
    }

    #[test]
    fn matches_whole_words_whatever_their_case_or_width() {
        let filter = blocked(&["bad"]);
        for text in [
            "bad",
            "this is BAD!",
            "Bad idea",
            "ＢＡＤ",
            "ｂａｄ news",
            "#bad",
            "(bad)",
            "@bad",
            "so…bad.",
            "so.bad",
            "bad's",
            "bad_word",
            "b\u{00AD}ad",
        ] {
            assert!(filter.matches(text), "{text:?} should match");
        }
        for text in ["badminton", "a bard", "sinbad", "b a d", "bad2", ""] {
            assert!(!filter.matches(text), "{text:?} should not match");
        }
    }

    #[test]
    fn folds_case_beyond_lower_case() {
        let filter = blocked(&["straße"]);
        assert!(filter.matches("STRASSE"), "ß folds to ss");
        assert!(blocked(&["ΣΟΦΌΣ"]).matches("σοφός"), "final sigma folds like sigma");
        assert!(
            blocked(&["café"]).matches("CAFE\u{0301}"),
            "a combining accent is the same letter"
        );
    }

    #[test]
    fn a_phrase_matches_its_words_in_a_row() {
        let filter = blocked(&["really  bad   idea"]);
        assert_eq!(filter.entries(), ["really bad idea"]);
        assert!(filter.matches("That is a Really, BAD idea!"));
        assert!(filter.matches("really\nbad - idea"));
        assert!(!filter.matches("really bad"));
        assert!(!filter.matches("a bad, really idea"));
        assert!(!filter.matches("really badidea"));
    }

    #[test]
    fn typographic_apostrophes_match_typed_ones() {
        assert!(blocked(&["don't"]).matches("I don’t care"));
        assert!(blocked(&["don’t"]).matches("DON'T"));
        assert!(!blocked(&["don't"]).matches("I don care"));
    }

    #[test]
    fn ideographic_text_matches_without_spaces() {
        assert!(blocked(&["悪い"]).matches("とても悪いです"));
        assert!(!blocked(&["悪い"]).matches("とても良いです"));
    }

    #[test]
    fn refuses_entries_it_could_never_match_or_that_hide_characters() {
        for bad in [
            "!!!",
            "😀",
            "a\u{202E}b",
            "tab\tinside",
            "two\nlines",
            &"x".repeat(MAX_BLOCKED_WORD_CHARS + 1),
        ] {
            assert!(
                matches!(BlockedWords::parse(&[bad]), Err(BlockedWordsError::Invalid(_))),
                "{bad:?} should be refused"
            );
        }
        assert!(BlockedWords::parse(&["x".repeat(MAX_BLOCKED_WORD_CHARS)]).is_ok());
    }

    #[test]
    fn counts_distinct_entries_and_skips_blank_ones() {
        let list = blocked(&["Bad", " bad ", "ＢＡＤ", "", "  ", "worse"]);
        assert_eq!(list.entries(), ["Bad", "worse"]);
        let many: Vec<String> = (0..MAX_BLOCKED_WORDS).map(|i| format!("w{i}")).collect();
        assert_eq!(BlockedWords::parse(&many).unwrap().len(), MAX_BLOCKED_WORDS);
        let too_many: Vec<String> = (0..=MAX_BLOCKED_WORDS).map(|i| format!("w{i}")).collect();
        assert_eq!(BlockedWords::parse(&too_many), Err(BlockedWordsError::TooMany));
        let repeated: Vec<String> = (0..=MAX_BLOCKED_WORDS).map(|_| "same".to_owned()).collect();
        assert_eq!(
            BlockedWords::parse(&repeated).unwrap().len(),
            1,
            "duplicates do not count"
        );
    }

    #[test]
    fn an_empty_list_matches_nothing() {
        let none = BlockedWords::default();
        assert!(none.is_empty());
        assert!(!none.matches("anything at all"));
    }
}
