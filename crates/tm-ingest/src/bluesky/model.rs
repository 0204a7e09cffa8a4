//! Jetstream frames and the filter that turns the whole network's posts into the few items and
//! retractions tm cares about.
//!
//! A frame is `{"did", "time_us", "kind": "commit"|"identity"|"account", …}` (docs/sources.md). The
//! stream carries hundreds of posts a second, so each frame is decoded once, borrowing its
//! strings from the frame where JSON escapes allow, and a post's tags are only normalised when it
//! has any. A post's hashtags are its tag facets (`app.bsky.richtext.facet#tag`, no `#`); a post
//! without tag facets (some clients omit facets) is matched by the `#tag`s of its text, parsed as
//! tm parses message bodies. Both go through [`tm_core::Hashtag`] (NFC, lower case), as the
//! rooms' hashtags do.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};

use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tm_core::event::{IngestItem, IngestRetract, IngestSource};
use tm_core::{parse_body, Token};

use crate::watch::WatchList;

/// The only collection tm asks Jetstream for.
pub const POST_COLLECTION: &str = "app.bsky.feed.post";
const TAG_FEATURE: &str = "app.bsky.richtext.facet#tag";

#[derive(Debug, Deserialize)]
struct Frame<'a> {
    #[serde(borrow)]
    did: Cow<'a, str>,
    time_us: i64,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    commit: Option<Commit<'a>>,
    #[serde(default, borrow)]
    identity: Option<Identity<'a>>,
}

#[derive(Debug, Deserialize)]
struct Commit<'a> {
    #[serde(borrow)]
    operation: Cow<'a, str>,
    #[serde(borrow)]
    collection: Cow<'a, str>,
    #[serde(borrow)]
    rkey: Cow<'a, str>,
    #[serde(default, borrow)]
    record: Option<Record<'a>>,
}

#[derive(Debug, Deserialize)]
struct Record<'a> {
    #[serde(default, borrow)]
    text: Cow<'a, str>,
    #[serde(rename = "createdAt", default, borrow)]
    created_at: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    facets: Vec<Facet<'a>>,
}

#[derive(Debug, Deserialize)]
struct Facet<'a> {
    #[serde(default, borrow)]
    features: Vec<Feature<'a>>,
}

#[derive(Debug, Deserialize)]
struct Feature<'a> {
    #[serde(rename = "$type", default, borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    tag: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize)]
struct Identity<'a> {
    #[serde(borrow)]
    did: Cow<'a, str>,
    #[serde(default, borrow)]
    handle: Option<Cow<'a, str>>,
}

/// Why a frame could not be used (it is skipped; its cursor is unknown).
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("not a Jetstream frame: {0}")]
    Json(#[from] serde_json::Error),
}

/// What one frame means for tm.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Nothing for us (most of the network).
    Nothing,
    /// A post matching at least one room.
    Item(IngestItem),
    /// The author deleted a post tm delivered.
    Retract(IngestRetract),
}

/// A decoded frame: its cursor and what to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    pub time_us: i64,
    pub action: Action,
}

/// `at://<did>/app.bsky.feed.post/<rkey>`: the stable id, used as the external id.
pub fn at_uri(did: &str, rkey: &str) -> String {
    format!("at://{did}/{POST_COLLECTION}/{rkey}")
}

/// The post's page on the Bluesky web app.
pub fn web_url(did: &str, rkey: &str) -> String {
    format!("https://bsky.app/profile/{did}/post/{rkey}")
}

/// A bounded memory of AT URIs, oldest forgotten first (handles, delivered posts).
#[derive(Debug, Clone, Default)]
pub struct Bounded<V> {
    capacity: usize,
    order: VecDeque<String>,
    map: HashMap<String, V>,
}

impl<V> Bounded<V> {
    pub fn new(capacity: usize) -> Self {
        Bounded {
            capacity: capacity.max(1),
            order: VecDeque::new(),
            map: HashMap::new(),
        }
    }

    pub fn insert(&mut self, key: String, value: V) {
        if self.map.insert(key.clone(), value).is_none() {
            self.order.push_back(key);
            while self.order.len() > self.capacity {
                if let Some(old) = self.order.pop_front() {
                    self.map.remove(&old);
                }
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.map.get(key)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.map.get_mut(key)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Entries, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.order.iter().filter_map(|k| self.map.get(k).map(|v| (k, v)))
    }

    /// Keys, oldest first.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.order.iter()
    }
}

/// What became of a delivered post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivered {
    Shown,
    /// Deleted upstream and retracted: a replayed delete is not retracted again.
    Retracted,
}

/// The filter's memory: handles from identity frames, and the posts delivered (so that a replay
/// after a reconnect is dropped and a delete is retracted once, and only when tm showed the post).
#[derive(Debug, Clone)]
pub struct Filter {
    handles: Bounded<String>,
    delivered: Bounded<Delivered>,
}

impl Filter {
    pub fn new(handle_capacity: usize, delivered_capacity: usize) -> Self {
        Filter {
            handles: Bounded::new(handle_capacity),
            delivered: Bounded::new(delivered_capacity),
        }
    }

    /// Starts with the posts delivered before a restart (oldest first).
    pub fn with_delivered(mut self, delivered: impl IntoIterator<Item = (String, Delivered)>) -> Self {
        for (uri, state) in delivered {
            self.delivered.insert(uri, state);
        }
        self
    }

    pub fn delivered(&self) -> &Bounded<Delivered> {
        &self.delivered
    }

    pub fn handle_of(&self, did: &str) -> Option<&str> {
        self.handles.get(did).map(String::as_str)
    }

    /// Decodes one frame and decides what it means. A matching post is remembered as delivered
    /// (the caller queues the item); a post delivered before is [`Action::Nothing`] the second
    /// time.
    pub fn handle(&mut self, text: &str, watch: &WatchList) -> Result<Seen, FrameError> {
        let frame: Frame<'_> = serde_json::from_str(text)?;
        let time_us = frame.time_us;
        let action = match frame.kind.as_ref() {
            "identity" => {
                if let Some(Identity {
                    did,
                    handle: Some(handle),
                }) = frame.identity
                {
                    if !handle.is_empty() && handle != "handle.invalid" {
                        self.handles.insert(did.into_owned(), handle.into_owned());
                    }
                }
                Action::Nothing
            }
            "commit" => match frame.commit {
                Some(commit) if commit.collection == POST_COLLECTION => self.commit(&frame.did, time_us, commit, watch),
                _ => Action::Nothing,
            },
            _ => Action::Nothing,
        };
        Ok(Seen { time_us, action })
    }

    fn commit(&mut self, did: &str, time_us: i64, commit: Commit<'_>, watch: &WatchList) -> Action {
        match commit.operation.as_ref() {
            "create" => {
                if watch.is_empty() {
                    return Action::Nothing;
                }
                let Some(record) = commit.record else {
                    return Action::Nothing;
                };
                let tags = hashtags(&record);
                if tags.is_empty() {
                    return Action::Nothing;
                }
                let room_ids = watch.rooms_for_tags(&tags);
                if room_ids.is_empty() {
                    return Action::Nothing;
                }
                let uri = at_uri(did, &commit.rkey);
                if self.delivered.contains(&uri) {
                    tracing::debug!(uri = %uri, "dropping a post delivered before (replay)");
                    return Action::Nothing;
                }
                self.delivered.insert(uri.clone(), Delivered::Shown);
                let posted_at = record
                    .created_at
                    .as_deref()
                    .and_then(|c| OffsetDateTime::parse(c, &Rfc3339).ok())
                    .or_else(|| OffsetDateTime::from_unix_timestamp_nanos(i128::from(time_us) * 1000).ok())
                    .unwrap_or_else(OffsetDateTime::now_utc);
                Action::Item(IngestItem {
                    source: IngestSource::Bluesky,
                    external_id: uri,
                    room_ids,
                    author: self.handle_of(did).unwrap_or(did).to_owned(),
                    text: record.text.into_owned(),
                    url: web_url(did, &commit.rkey),
                    posted_at,
                    author_id: Some(did.to_owned()),
                })
            }
            "delete" => {
                let uri = at_uri(did, &commit.rkey);
                match self.delivered.get_mut(&uri) {
                    Some(state @ Delivered::Shown) => {
                        *state = Delivered::Retracted;
                        Action::Retract(IngestRetract {
                            source: IngestSource::Bluesky,
                            external_id: uri,
                        })
                    }
                    _ => Action::Nothing,
                }
            }
            // Posts are not edited in place on Bluesky today; an update changes nothing here.
            _ => Action::Nothing,
        }
    }
}

/// The post's hashtags as written: its tag facets, or, without any, the `#tag`s of its text.
fn hashtags<'r>(record: &'r Record<'_>) -> Vec<Cow<'r, str>> {
    let from_facets: Vec<Cow<'r, str>> = record
        .facets
        .iter()
        .flat_map(|f| &f.features)
        .filter(|f| f.kind == TAG_FEATURE)
        .filter_map(|f| f.tag.as_deref().map(Cow::Borrowed))
        .collect();
    if !from_facets.is_empty() {
        return from_facets;
    }
    // The cheap test first: most posts have no `#` (or full-width `＃`) at all.
    if !record.text.contains('#') && !record.text.contains('＃') {
        return Vec::new();
    }
    let text = record.text.replace('＃', "#");
    let mut seen = HashSet::new();
    parse_body(&text)
        .into_iter()
        .filter_map(|t| match t {
            Token::Hashtag { tag } => seen.insert(tag.clone()).then_some(Cow::Owned(tag)),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DID: &str = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";

    fn post(rkey: &str, text: &str, tags: &[&str], time_us: i64) -> String {
        let facets: Vec<_> = tags
            .iter()
            .map(|t| json!({"index": {"byteStart": 0, "byteEnd": 1}, "features": [{"$type": TAG_FEATURE, "tag": t}]}))
            .collect();
        let mut record =
            json!({"$type": POST_COLLECTION, "text": text, "createdAt": "2026-11-23T09:10:00.000Z", "langs": ["en"]});
        if !tags.is_empty() {
            record["facets"] = json!(facets);
        }
        json!({"did": DID, "time_us": time_us, "kind": "commit", "commit": {"rev": "3l", "operation": "create",
            "collection": POST_COLLECTION, "rkey": rkey, "cid": "bafy", "record": record}})
        .to_string()
    }

    fn watch() -> WatchList {
        WatchList::from_rooms([(42, vec!["physics101"]), (7, vec!["über"])])
    }

    fn item(seen: Seen) -> IngestItem {
        match seen.action {
            Action::Item(item) => item,
            other => panic!("expected an item, got {other:?}"),
        }
    }

    #[test]
    fn a_post_with_a_matching_tag_facet_becomes_an_item_with_its_link() {
        let mut filter = Filter::new(10, 10);
        let seen = filter
            .handle(
                &post("3kabc", "Waves #Physics101", &["Physics101"], 1_700_000_000_000_001),
                &watch(),
            )
            .unwrap();
        assert_eq!(seen.time_us, 1_700_000_000_000_001);
        let item = item(seen);
        assert_eq!(item.room_ids, vec![42]);
        assert_eq!(item.external_id, format!("at://{DID}/app.bsky.feed.post/3kabc"));
        assert_eq!(item.url, format!("https://bsky.app/profile/{DID}/post/3kabc"));
        assert_eq!(item.author, DID, "no identity frame seen yet: the DID");
        assert_eq!(item.author_id.as_deref(), Some(DID));
        assert_eq!(item.text, "Waves #Physics101");
        assert_eq!(item.source, IngestSource::Bluesky);
    }

    #[test]
    fn tags_match_case_insensitively_and_unicode_normalised() {
        let mut filter = Filter::new(10, 10);
        let decomposed = "U\u{0308}BER";
        let seen = filter.handle(&post("3kdec", "x", &[decomposed], 1), &watch()).unwrap();
        assert_eq!(item(seen).room_ids, vec![7]);
    }

    #[test]
    fn without_facets_the_texts_hashtags_count_and_other_posts_do_not_match() {
        let mut filter = Filter::new(10, 10);
        let seen = filter
            .handle(&post("3ktext", "homework for ＃PHYSICS101 tonight", &[], 1), &watch())
            .unwrap();
        assert_eq!(item(seen).room_ids, vec![42]);
        for other in [
            post("3kno1", "physics101 without a hash", &[], 2),
            post("3kno2", "#physics1010 is another tag", &[], 3),
            post(
                "3kno3",
                "#physics101 in the text, but facets say otherwise",
                &["chemistry"],
                4,
            ),
        ] {
            assert_eq!(
                filter.handle(&other, &watch()).unwrap().action,
                Action::Nothing,
                "{other}"
            );
        }
    }

    #[test]
    fn identity_frames_give_the_handle_and_a_replay_is_dropped() {
        let mut filter = Filter::new(10, 10);
        let identity = json!({"did": DID, "time_us": 5, "kind": "identity",
            "identity": {"did": DID, "handle": "ada.bsky.social", "seq": 1, "time": "2026-11-23T09:00:00Z"}});
        assert_eq!(
            filter.handle(&identity.to_string(), &watch()).unwrap().action,
            Action::Nothing
        );
        let frame = post("3kh", "#physics101", &["physics101"], 6);
        assert_eq!(item(filter.handle(&frame, &watch()).unwrap()).author, "ada.bsky.social");
        assert_eq!(
            filter.handle(&frame, &watch()).unwrap().action,
            Action::Nothing,
            "replayed"
        );
    }

    #[test]
    fn only_deletes_of_delivered_posts_are_retracted() {
        let mut filter = Filter::new(10, 10).with_delivered([(at_uri(DID, "3kold"), Delivered::Shown)]);
        let delete = |rkey: &str| {
            json!({"did": DID, "time_us": 9, "kind": "commit", "commit": {"rev": "3l", "operation": "delete",
                "collection": POST_COLLECTION, "rkey": rkey}})
            .to_string()
        };
        assert_eq!(
            filter.handle(&delete("3kold"), &watch()).unwrap().action,
            Action::Retract(IngestRetract {
                source: IngestSource::Bluesky,
                external_id: at_uri(DID, "3kold")
            })
        );
        assert_eq!(
            filter.handle(&delete("3kold"), &watch()).unwrap().action,
            Action::Nothing,
            "replayed"
        );
        assert_eq!(
            filter.handle(&delete("3kother"), &watch()).unwrap().action,
            Action::Nothing
        );
    }

    #[test]
    fn account_frames_and_garbage() {
        let mut filter = Filter::new(10, 10);
        let account = json!({"did": DID, "time_us": 3, "kind": "account", "account": {"active": false, "did": DID}});
        assert_eq!(filter.handle(&account.to_string(), &watch()).unwrap().time_us, 3);
        assert!(filter.handle("{not json", &watch()).is_err());
    }

    #[test]
    fn bounded_memory_forgets_the_oldest() {
        let mut b = Bounded::new(2);
        for k in ["a", "b", "c"] {
            b.insert(k.to_owned(), ());
        }
        assert_eq!(b.iter().count(), 2);
        assert!(!b.contains("a") && b.contains("b") && b.contains("c"));
        assert_eq!(b.keys().cloned().collect::<Vec<_>>(), vec!["b", "c"]);
    }
}
