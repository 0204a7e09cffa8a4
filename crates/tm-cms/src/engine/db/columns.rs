//! How typed values live in text columns, the one place rows convert: an enum is stored as its
//! name (`open`, `pending`, …), a room's hashtags, its reactions and its blocked words as JSON
//! arrays of strings.
//!
//! Rows read them through diesel's `deserialize_as` ([`Named`], [`StoredHashtags`],
//! [`StoredReactions`], [`StoredBlockedWords`]); writes store [`StoredName::stored_name`],
//! [`hashtags_json`], [`reactions_json`] and [`blocked_words_json`].

use diesel::deserialize::{self, FromSql, Queryable};
use diesel::mysql::{Mysql, MysqlValue};
use diesel::sql_types::{Nullable, Text};
use tm_core::event::{CloseReason, MessageKind, MessageState, Moderation, PollState, RoomState};
use tm_core::{BlockedWords, Hashtag, ReactionSet};

use crate::engine::updates::Subject;

/// An enum stored as a name.
pub trait StoredName: Copy + Sized + 'static {
    const ALL: &'static [Self];
    fn stored_name(self) -> &'static str;

    fn from_stored_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|value| value.stored_name() == name)
    }
}

macro_rules! stored_names {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl StoredName for $ty {
            const ALL: &'static [Self] = &[$($ty::$variant),+];
            fn stored_name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }
    };
}

stored_names!(RoomState { Open => "open", Paused => "paused", Closed => "closed" });
stored_names!(Moderation { Post => "post", Approve => "approve" });
stored_names!(CloseReason { Owner => "owner", Expired => "expired", Admin => "admin" });
stored_names!(MessageState { Visible => "visible", Pending => "pending", Deleted => "deleted" });
stored_names!(PollState { Open => "open", Closed => "closed" });
stored_names!(Subject { Message => "message", Poll => "poll" });
stored_names!(MessageKind { Post => "post", Tweet => "tweet", Toot => "toot", Bluesky => "bluesky", System => "system" });

/// A column read as a [`StoredName`] (`Named<Option<T>>` for a nullable one).
#[derive(Debug)]
pub struct Named<T>(T);

impl<T> Named<T> {
    /// What diesel's `deserialize_as` converts through (a `From` impl for a tm-core type is
    /// not ours to write).
    pub fn try_into(self) -> Result<T, std::convert::Infallible> {
        Ok(self.0)
    }
}

fn parse_name<T: StoredName>(bytes: MysqlValue<'_>) -> deserialize::Result<T> {
    let name = <String as FromSql<Text, Mysql>>::from_sql(bytes)?;
    T::from_stored_name(&name).ok_or_else(|| format!("unknown stored value {name:?}").into())
}

impl<T: StoredName> FromSql<Text, Mysql> for Named<T> {
    fn from_sql(bytes: MysqlValue<'_>) -> deserialize::Result<Self> {
        parse_name(bytes).map(Named)
    }
}

// Diesel reads a single column into a type through `Queryable`; these say "as `FromSql` does".
impl<T: StoredName> Queryable<Text, Mysql> for Named<T> {
    type Row = Self;
    fn build(row: Self) -> deserialize::Result<Self> {
        Ok(row)
    }
}

impl<T: StoredName> Queryable<Nullable<Text>, Mysql> for Named<Option<T>> {
    type Row = Self;
    fn build(row: Self) -> deserialize::Result<Self> {
        Ok(row)
    }
}

impl Queryable<Text, Mysql> for StoredHashtags {
    type Row = Self;
    fn build(row: Self) -> deserialize::Result<Self> {
        Ok(row)
    }
}

impl Queryable<Text, Mysql> for StoredBlockedWords {
    type Row = Self;
    fn build(row: Self) -> deserialize::Result<Self> {
        Ok(row)
    }
}

impl<T: StoredName> FromSql<Nullable<Text>, Mysql> for Named<Option<T>> {
    fn from_sql(bytes: MysqlValue<'_>) -> deserialize::Result<Self> {
        parse_name(bytes).map(|value| Named(Some(value)))
    }

    fn from_nullable_sql(bytes: Option<MysqlValue<'_>>) -> deserialize::Result<Self> {
        match bytes {
            Some(bytes) => Self::from_sql(bytes),
            None => Ok(Named(None)),
        }
    }
}

/// `rooms.hashtags` read as hashtags.
#[derive(Debug)]
pub struct StoredHashtags(Vec<Hashtag>);

impl StoredHashtags {
    /// See [`Named::try_into`].
    pub fn try_into(self) -> Result<Vec<Hashtag>, std::convert::Infallible> {
        Ok(self.0)
    }
}

impl FromSql<Text, Mysql> for StoredHashtags {
    fn from_sql(bytes: MysqlValue<'_>) -> deserialize::Result<Self> {
        let json = <String as FromSql<Text, Mysql>>::from_sql(bytes)?;
        let tags: Vec<String> = serde_json::from_str(&json)?;
        let tags = tags.iter().map(|tag| Hashtag::parse(tag)).collect::<Result<_, _>>()?;
        Ok(StoredHashtags(tags))
    }
}

/// The stored form of a room's hashtags.
pub fn hashtags_json(tags: &[Hashtag]) -> String {
    let names: Vec<&str> = tags.iter().map(Hashtag::as_str).collect();
    serde_json::Value::from(names).to_string()
}

/// `rooms.reactions` read as a reaction set (checked again, like hashtags).
#[derive(Debug)]
pub struct StoredReactions(ReactionSet);

impl StoredReactions {
    /// See [`Named::try_into`].
    pub fn try_into(self) -> Result<ReactionSet, std::convert::Infallible> {
        Ok(self.0)
    }
}

impl FromSql<Text, Mysql> for StoredReactions {
    fn from_sql(bytes: MysqlValue<'_>) -> deserialize::Result<Self> {
        let json = <String as FromSql<Text, Mysql>>::from_sql(bytes)?;
        Ok(StoredReactions(serde_json::from_str(&json)?))
    }
}

impl Queryable<Text, Mysql> for StoredReactions {
    type Row = Self;
    fn build(row: Self) -> deserialize::Result<Self> {
        Ok(row)
    }
}

/// The stored form of a room's reactions.
pub fn reactions_json(reactions: &ReactionSet) -> String {
    serde_json::Value::from(reactions.to_strings()).to_string()
}

/// `rooms.blocked_words` read as the room's word filter (each entry checked again, as hashtags
/// are: only what `BlockedWords::parse` accepts was ever stored).
#[derive(Debug)]
pub struct StoredBlockedWords(BlockedWords);

impl StoredBlockedWords {
    /// See [`Named::try_into`].
    pub fn try_into(self) -> Result<BlockedWords, std::convert::Infallible> {
        Ok(self.0)
    }
}

impl FromSql<Text, Mysql> for StoredBlockedWords {
    fn from_sql(bytes: MysqlValue<'_>) -> deserialize::Result<Self> {
        let json = <String as FromSql<Text, Mysql>>::from_sql(bytes)?;
        let entries: Vec<String> = serde_json::from_str(&json)?;
        Ok(StoredBlockedWords(BlockedWords::parse(&entries)?))
    }
}

/// The stored form of a room's blocked words: the entries as the owner wrote them.
pub fn blocked_words_json(words: &BlockedWords) -> String {
    serde_json::Value::from(words.entries()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_as_its_value() {
        fn round_trips<T: StoredName + PartialEq + std::fmt::Debug>() {
            for value in T::ALL {
                assert_eq!(T::from_stored_name(value.stored_name()), Some(*value));
            }
        }
        round_trips::<RoomState>();
        round_trips::<Moderation>();
        round_trips::<CloseReason>();
        round_trips::<MessageState>();
        round_trips::<MessageKind>();
        assert_eq!(RoomState::from_stored_name("gone"), None);
    }

    #[test]
    fn stored_names_are_the_wire_names() {
        for state in RoomState::ALL {
            assert_eq!(serde_json::to_value(state).unwrap(), state.stored_name());
        }
        for kind in MessageKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.stored_name());
        }
        for state in MessageState::ALL {
            assert_eq!(serde_json::to_value(state).unwrap(), state.stored_name());
        }
    }

    #[test]
    fn hashtags_are_stored_as_a_json_array() {
        let tags = vec![Hashtag::parse("rust").unwrap(), Hashtag::parse("#tm").unwrap()];
        assert_eq!(hashtags_json(&tags), r#"["rust","tm"]"#);
        assert_eq!(hashtags_json(&[]), "[]");
    }

    #[test]
    fn reactions_are_stored_as_a_json_array_in_order() {
        let set = ReactionSet::parse(&["🎉", "👍"]).unwrap();
        assert_eq!(reactions_json(&set), r#"["🎉","👍"]"#);
        assert_eq!(serde_json::from_str::<ReactionSet>(&reactions_json(&set)).unwrap(), set);
    }

    #[test]
    fn blocked_words_are_stored_as_a_json_array_of_what_the_owner_wrote() {
        let words = BlockedWords::parse(&["Bad", "really  bad idea"]).unwrap();
        assert_eq!(blocked_words_json(&words), r#"["Bad","really bad idea"]"#);
        assert_eq!(blocked_words_json(&BlockedWords::default()), "[]");
    }
}
