//! The watch list: which rooms follow which hashtags, as the CMS last told us.
//!
//! Built from `sources.snapshot` (replaces everything) and `sources.changed` (replaces one
//! room's list; empty removes the room). Hashtags are normalised with [`tm_core::Hashtag`]
//! (no `#`, lower case); invalid ones are dropped with a warning rather than poisoning the
//! whole event. The current list is published on a `tokio::sync::watch` channel: sources
//! always act on the newest version and coalesce bursts of changes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tm_core::event::{RoomId, SourcesChanged, SourcesSnapshot};
use tm_core::Hashtag;
use tokio::sync::watch;

/// Room → its hashtags. Ordered maps keep rules and subscriptions deterministic.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchList {
    rooms: BTreeMap<RoomId, BTreeSet<String>>,
    /// Whether a full snapshot is behind this list (changes alone are not the whole picture).
    #[serde(default)]
    complete: bool,
}

impl WatchList {
    /// A list from `(room, tags)` pairs (tags normalised; rooms without valid tags left out).
    pub fn from_rooms<I, T, S>(rooms: I) -> Self
    where
        I: IntoIterator<Item = (RoomId, T)>,
        T: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut list = WatchList::default();
        for (room, tags) in rooms {
            list.set_room(room, tags);
        }
        list
    }

    /// Replaces everything with a snapshot; the list is complete from then on.
    pub fn apply_snapshot(&mut self, snapshot: &SourcesSnapshot) {
        *self = Self::from_rooms(snapshot.rooms.iter().map(|r| (r.room_id, &r.hashtags)));
        self.complete = true;
    }

    /// Marks the list as the whole picture (tests, and lists built from a snapshot).
    pub fn completed(mut self) -> Self {
        self.complete = true;
        self
    }

    /// Whether sources may act on it: rules are only reconciled against a complete list.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Replaces one room's list.
    pub fn apply_changed(&mut self, changed: &SourcesChanged) {
        self.set_room(changed.room_id, &changed.hashtags);
    }

    fn set_room<T, S>(&mut self, room: RoomId, tags: T)
    where
        T: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let tags: BTreeSet<String> = tags
            .into_iter()
            .filter_map(|t| match Hashtag::parse(t.as_ref()) {
                Ok(tag) => Some(tag.into_string()),
                Err(_) => {
                    tracing::warn!(room, tag = t.as_ref(), "ignoring an invalid hashtag");
                    None
                }
            })
            .collect();
        if tags.is_empty() {
            self.rooms.remove(&room);
        } else {
            self.rooms.insert(room, tags);
        }
    }

    /// Every watched room with its tags, by room id.
    pub fn rooms(&self) -> impl Iterator<Item = (RoomId, &BTreeSet<String>)> {
        self.rooms.iter().map(|(r, t)| (*r, t))
    }

    /// Every hashtag watched by at least one room.
    pub fn all_tags(&self) -> BTreeSet<String> {
        self.rooms.values().flatten().cloned().collect()
    }

    /// Rooms that watch any of `tags` (given in any case, with or without `#`).
    pub fn rooms_for_tags<S: AsRef<str>>(&self, tags: &[S]) -> Vec<RoomId> {
        let wanted: BTreeSet<String> = tags
            .iter()
            .filter_map(|t| Hashtag::parse(t.as_ref()).ok())
            .map(Hashtag::into_string)
            .collect();
        self.rooms
            .iter()
            .filter(|(_, watched)| !watched.is_disjoint(&wanted))
            .map(|(room, _)| *room)
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.rooms.is_empty()
    }

    pub fn len(&self) -> usize {
        self.rooms.len()
    }
}

/// Sender side: the bus consumer updates it.
pub type WatchTx = watch::Sender<Arc<WatchList>>;
/// Receiver side: each source reads it.
pub type WatchRx = watch::Receiver<Arc<WatchList>>;

/// A channel holding `initial`.
pub fn channel(initial: WatchList) -> (WatchTx, WatchRx) {
    watch::channel(Arc::new(initial))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tm_core::event::RoomSources;

    #[test]
    fn snapshot_replaces_and_changes_patch_one_room() {
        let mut list = WatchList::from_rooms([(1, vec!["old"])]);
        list.apply_snapshot(&SourcesSnapshot {
            rooms: vec![
                RoomSources {
                    room_id: 42,
                    hashtags: vec!["#Physics101".into(), "optics".into()],
                },
                RoomSources {
                    room_id: 7,
                    hashtags: vec!["optics".into()],
                },
            ],
        });
        assert_eq!(list.len(), 2);
        assert_eq!(list.rooms_for_tags(&["OPTICS"]), vec![7, 42]);
        list.apply_changed(&SourcesChanged {
            room_id: 7,
            hashtags: vec![],
        });
        assert_eq!(list.rooms_for_tags(&["optics"]), vec![42]);
        assert_eq!(
            list.all_tags().into_iter().collect::<Vec<_>>(),
            vec!["optics", "physics101"]
        );
    }

    #[test]
    fn invalid_tags_are_dropped_not_fatal() {
        let list = WatchList::from_rooms([(3, vec!["ok", "not a tag", "1234"])]);
        assert_eq!(list.all_tags().into_iter().collect::<Vec<_>>(), vec!["ok"]);
    }
}
