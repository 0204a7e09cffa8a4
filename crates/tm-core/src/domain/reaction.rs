//! Live reactions: the emoji a room offers (its owner's set) and the one check every entry
//! passes, in the CMS (the setting) and in the gateway (a `react` frame).
//!
//! "One emoji" is checked strictly and simply: the text is a single extended grapheme cluster
//! (UAX #29), it starts with an emoji base (a pictograph, a pair of regional indicators or a
//! keycap base) and contains nothing but emoji parts after it (variation selector 16, skin
//! tones, zero-width joiners and further pictographs, tag characters). So `👍🏽`, `❤️`, `🇺🇦`,
//! `#️⃣` and `👩‍💻` pass, while letters, two emoji, a lone regional indicator or a pictograph
//! followed by text do not.

use unicode_segmentation::UnicodeSegmentation;

use super::{string_newtype, ValidationError};

/// The most reactions a room offers.
pub const MAX_REACTIONS: usize = 8;

/// The set of a new room (and of a room whose set a gateway has not learned yet).
pub const DEFAULT_REACTIONS: [&str; 5] = ["👍", "❤️", "😂", "😮", "👏"];

/// The longest single emoji accepted, in bytes: the longest standard sequences (families,
/// subdivision flags) take about 35; anything far longer is refused before segmenting it.
const MAX_EMOJI_BYTES: usize = 64;

/// One emoji.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reaction(String);
string_newtype!(Reaction);

impl Reaction {
    /// Accepts one emoji, ignoring surrounding whitespace.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let emoji = input.trim();
        if is_one_emoji(emoji) {
            Ok(Reaction(emoji.to_owned()))
        } else {
            Err(ValidationError::InvalidReaction)
        }
    }

    /// The emoji without variation selector 16: `❤` and `❤️` are the same reaction when a
    /// set is checked for duplicates.
    fn base(&self) -> impl Iterator<Item = char> + '_ {
        self.0.chars().filter(|c| *c != VARIATION_SELECTOR_16)
    }
}

/// A room's reactions: 1 to [`MAX_REACTIONS`] different emoji, in the owner's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactionSet(Vec<Reaction>);

impl ReactionSet {
    /// Checks an owner's list: every entry one emoji, none twice, 1 to [`MAX_REACTIONS`].
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, ValidationError> {
        if entries.is_empty() || entries.len() > MAX_REACTIONS {
            return Err(ValidationError::InvalidReactions);
        }
        let mut set: Vec<Reaction> = Vec::with_capacity(entries.len());
        for entry in entries {
            let reaction = Reaction::parse(entry.as_ref()).map_err(|_| ValidationError::InvalidReactions)?;
            if set.iter().any(|known| known.base().eq(reaction.base())) {
                return Err(ValidationError::InvalidReactions);
            }
            set.push(reaction);
        }
        Ok(ReactionSet(set))
    }

    /// Whether `emoji` is one of the set, exactly as listed.
    pub fn contains(&self, emoji: &str) -> bool {
        self.0.iter().any(|reaction| reaction.as_str() == emoji)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Reaction> {
        self.0.iter()
    }

    /// The emoji as the API and the events carry them.
    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(|reaction| reaction.as_str().to_owned()).collect()
    }
}

impl Default for ReactionSet {
    fn default() -> Self {
        ReactionSet(
            DEFAULT_REACTIONS
                .iter()
                .map(|emoji| Reaction((*emoji).to_owned()))
                .collect(),
        )
    }
}

impl serde::Serialize for ReactionSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter())
    }
}

impl<'de> serde::Deserialize<'de> for ReactionSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let entries = Vec::<String>::deserialize(d)?;
        ReactionSet::parse(&entries).map_err(serde::de::Error::custom)
    }
}

const VARIATION_SELECTOR_16: char = '\u{FE0F}';
const ZERO_WIDTH_JOINER: char = '\u{200D}';
const COMBINING_KEYCAP: char = '\u{20E3}';

fn is_one_emoji(text: &str) -> bool {
    if text.is_empty() || text.len() > MAX_EMOJI_BYTES || text.graphemes(true).count() != 1 {
        return false;
    }
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let rest: Vec<char> = chars.collect();
    if matches!(first, '0'..='9' | '#' | '*') {
        // A keycap: the base, optionally VS16, then the combining keycap.
        return matches!(
            rest.as_slice(),
            [COMBINING_KEYCAP] | [VARIATION_SELECTOR_16, COMBINING_KEYCAP]
        );
    }
    if is_regional_indicator(first) {
        // A flag is exactly two regional indicators.
        return matches!(rest.as_slice(), [second] if is_regional_indicator(*second));
    }
    is_pictograph(first) && rest.iter().all(|c| is_pictograph(*c) || is_emoji_part(*c))
}

fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

/// What may follow a pictograph inside one emoji.
fn is_emoji_part(c: char) -> bool {
    matches!(c,
        VARIATION_SELECTOR_16 | ZERO_WIDTH_JOINER
        | '\u{1F3FB}'..='\u{1F3FF}' // skin tones
        | '\u{E0020}'..='\u{E007F}' // tags (subdivision flags)
    )
}

/// The pictographs of Unicode's emoji list (the blocks and code points that hold emoji).
fn is_pictograph(c: char) -> bool {
    matches!(c,
        '\u{00A9}' | '\u{00AE}' | '\u{203C}' | '\u{2049}' | '\u{2122}' | '\u{2139}'
        | '\u{2194}'..='\u{2199}' | '\u{21A9}'..='\u{21AA}'
        | '\u{231A}'..='\u{231B}' | '\u{2328}' | '\u{23CF}' | '\u{23E9}'..='\u{23F3}' | '\u{23F8}'..='\u{23FA}'
        | '\u{24C2}' | '\u{25AA}'..='\u{25AB}' | '\u{25B6}' | '\u{25C0}' | '\u{25FB}'..='\u{25FE}'
        | '\u{2600}'..='\u{27BF}' // miscellaneous symbols, dingbats
        | '\u{2934}'..='\u{2935}' | '\u{2B05}'..='\u{2B07}' | '\u{2B1B}'..='\u{2B1C}' | '\u{2B50}' | '\u{2B55}'
        | '\u{3030}' | '\u{303D}' | '\u{3297}' | '\u{3299}'
        | '\u{1F004}' | '\u{1F0CF}' | '\u{1F170}'..='\u{1F171}' | '\u{1F17E}'..='\u{1F17F}' | '\u{1F18E}'
        | '\u{1F191}'..='\u{1F19A}' | '\u{1F201}'..='\u{1F202}' | '\u{1F21A}' | '\u{1F22F}'
        | '\u{1F232}'..='\u{1F23A}' | '\u{1F250}'..='\u{1F251}'
        | '\u{1F300}'..='\u{1F3FA}' // symbols and pictographs (skin tones follow at 1F3FB)
        | '\u{1F400}'..='\u{1FAFF}' // pictographs, emoticons, transport, supplemental, extended-A
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_single_emoji_of_every_shape() {
        for emoji in DEFAULT_REACTIONS.iter().copied().chain([
            "👍🏽",
            "❤",
            "🇺🇦",
            "#️⃣",
            "1⃣",
            "👩‍💻",
            "👨‍👩‍👧‍👦",
            "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
            "🎉",
            "🙏",
            "✅",
            " 🔥 ",
        ]) {
            assert!(Reaction::parse(emoji).is_ok(), "{emoji:?}");
        }
        assert_eq!(Reaction::parse(" 🔥 ").unwrap().as_str(), "🔥");
    }

    #[test]
    fn refuses_anything_that_is_not_exactly_one_emoji() {
        for bad in [
            "",
            " ",
            "a",
            "ok",
            "1",
            "#",
            "👍👍",
            "👍a",
            "a👍",
            "🇺",
            "🇺🇦🇺",
            "\u{200D}",
            "\u{FE0F}",
            "👍\u{200B}",
            "😀\u{301}",
            "<b>",
            "→",
            "é",
            &"👍🏽".repeat(20),
        ] {
            assert_eq!(Reaction::parse(bad), Err(ValidationError::InvalidReaction), "{bad:?}");
        }
    }

    #[test]
    fn a_set_is_one_to_eight_different_emoji_in_order() {
        let set = ReactionSet::parse(&["🎉", "👍"]).unwrap();
        assert_eq!(set.to_strings(), ["🎉", "👍"]);
        assert!(set.contains("🎉") && !set.contains("❤️"));
        assert_eq!(ReactionSet::parse(&["👍"; 0]), Err(ValidationError::InvalidReactions));
        let nine = ["👍", "❤️", "😂", "😮", "👏", "🎉", "🙏", "🔥", "✅"];
        assert_eq!(ReactionSet::parse(&nine), Err(ValidationError::InvalidReactions));
        assert!(ReactionSet::parse(&nine[..8]).is_ok());
        assert_eq!(
            ReactionSet::parse(&["👍", "👍"]),
            Err(ValidationError::InvalidReactions)
        );
        assert_eq!(
            ReactionSet::parse(&["❤", "❤️"]),
            Err(ValidationError::InvalidReactions),
            "same heart"
        );
        assert_eq!(
            ReactionSet::parse(&["👍", "yes"]),
            Err(ValidationError::InvalidReactions)
        );
    }

    #[test]
    fn the_default_set_is_valid_and_round_trips_as_a_json_list() {
        let default = ReactionSet::default();
        assert_eq!(ReactionSet::parse(&DEFAULT_REACTIONS), Ok(default.clone()));
        let json = serde_json::to_string(&default).unwrap();
        assert_eq!(json, r#"["👍","❤️","😂","😮","👏"]"#);
        assert_eq!(serde_json::from_str::<ReactionSet>(&json).unwrap(), default);
        assert!(serde_json::from_str::<ReactionSet>(r#"["x"]"#).is_err());
    }
}
