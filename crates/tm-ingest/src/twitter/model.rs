//! The stream's JSON objects and how a matched tweet becomes an `ingest.item`.

use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tm_core::event::{IngestItem, IngestSource, RoomId};

use super::rules::rooms_of_tag;

/// One line of the stream: a tweet with its expansions, or an error object, or both.
#[derive(Debug, Deserialize)]
pub struct StreamObject {
    pub data: Option<Tweet>,
    #[serde(default)]
    pub includes: Includes,
    #[serde(default)]
    pub matching_rules: Vec<MatchingRule>,
    #[serde(default)]
    pub errors: Vec<Problem>,
}

#[derive(Debug, Deserialize)]
pub struct Tweet {
    pub id: String,
    pub text: String,
    pub author_id: Option<String>,
    pub created_at: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Includes {
    #[serde(default)]
    pub users: Vec<User>,
}

#[derive(Debug, Deserialize)]
pub struct User {
    pub id: String,
    pub username: String,
}

#[derive(Debug, Deserialize)]
pub struct MatchingRule {
    #[serde(default)]
    pub tag: Option<String>,
}

/// An entry of `errors` (in-stream and in rule responses share the shape loosely).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Problem {
    #[serde(default)]
    pub title: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub detail: String,
    /// Invalid-rule errors explain themselves here.
    #[serde(default)]
    pub details: Vec<String>,
    #[serde(default)]
    pub disconnect_type: Option<String>,
    #[serde(default)]
    pub connection_issue: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
}

impl Problem {
    /// Whether Twitter is ending the connection (operational disconnect, connection
    /// exception such as TooManyConnections): the reader must reconnect.
    pub fn ends_stream(&self) -> bool {
        self.disconnect_type.is_some()
            || self.connection_issue.is_some()
            || self.title == "operational-disconnect"
            || self.title == "ConnectionException"
            || self.kind.ends_with("/operational-disconnect")
    }
}

impl Tweet {
    /// The `ingest.item` for this tweet, routed to the rooms its matching rules name.
    /// `None` when no rule names a room of ours.
    pub fn into_item(self, includes: &Includes, rules: &[MatchingRule]) -> Option<IngestItem> {
        let mut room_ids: Vec<RoomId> = rules
            .iter()
            .filter_map(|r| r.tag.as_deref())
            .filter_map(rooms_of_tag)
            .flatten()
            .collect();
        room_ids.sort_unstable();
        room_ids.dedup();
        if room_ids.is_empty() {
            return None;
        }
        let username = self
            .author_id
            .as_deref()
            .and_then(|author| includes.users.iter().find(|u| u.id == author))
            .map(|u| u.username.clone());
        let (author, url) = match &username {
            Some(name) => (
                format!("@{name}"),
                format!("https://twitter.com/{name}/status/{}", self.id),
            ),
            None => (
                "@unknown".to_owned(),
                format!("https://twitter.com/i/web/status/{}", self.id),
            ),
        };
        let posted_at = self
            .created_at
            .as_deref()
            .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
            .unwrap_or_else(OffsetDateTime::now_utc);
        Some(IngestItem {
            source: IngestSource::Twitter,
            external_id: self.id,
            room_ids,
            author,
            text: self.text,
            url,
            posted_at,
            author_id: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matched_tweet_becomes_an_item_for_every_tagged_room() {
        let line = r#"{"data":{"id":"1850","text":"light!","author_id":"9","created_at":"2026-11-23T03:00:00.000Z"},"includes":{"users":[{"id":"9","username":"ada","name":"Ada"}]},"matching_rules":[{"id":"r1","tag":"room:42"},{"id":"r2","tag":"room:7,42"},{"id":"x","tag":"other"}]}"#;
        let obj: StreamObject = serde_json::from_str(line).unwrap();
        let item = obj.data.unwrap().into_item(&obj.includes, &obj.matching_rules).unwrap();
        assert_eq!(item.room_ids, vec![7, 42]);
        assert_eq!(item.author, "@ada");
        assert_eq!(item.url, "https://twitter.com/ada/status/1850");
        assert_eq!(item.external_id, "1850");
        assert_eq!(item.posted_at.unix_timestamp(), 1_795_402_800);
    }

    #[test]
    fn operational_disconnects_end_the_stream() {
        let line = r#"{"errors":[{"title":"operational-disconnect","disconnect_type":"UpstreamOperationalDisconnect","detail":"x","type":"https://api.twitter.com/2/problems/operational-disconnect"}]}"#;
        let obj: StreamObject = serde_json::from_str(line).unwrap();
        assert!(obj.data.is_none());
        assert!(obj.errors[0].ends_stream());
        assert!(!Problem {
            title: "Not Found Error".into(),
            ..Problem::default()
        }
        .ends_stream());
    }
}
