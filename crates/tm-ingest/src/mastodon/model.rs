//! Mastodon streaming frames and the Status JSON inside them.
//!
//! A frame is `{"stream":["hashtag","physics101"],"event":"update","payload":"<Status JSON>"}`:
//! the payload is a JSON document *inside a string*, so it is decoded twice.

use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tm_core::event::{IngestItem, IngestSource};

use super::html;
use crate::watch::WatchList;

/// The outer frame.
#[derive(Debug, Deserialize)]
pub struct Frame {
    #[serde(default)]
    pub stream: Vec<String>,
    pub event: String,
    #[serde(default)]
    pub payload: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Status {
    pub id: String,
    #[serde(default)]
    pub uri: String,
    #[serde(default)]
    pub url: Option<String>,
    pub created_at: String,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub spoiler_text: String,
    pub account: Account,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub visibility: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Account {
    pub acct: String,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Tag {
    pub name: String,
}

/// Why a frame yields no item.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("update without payload")]
    NoPayload,
}

/// The status carried by an `update` frame; `None` for other events (`delete`, …).
pub fn status_of(text: &str) -> Result<Option<(Status, Option<String>)>, FrameError> {
    let frame: Frame = serde_json::from_str(text)?;
    if frame.event != "update" {
        return Ok(None);
    }
    let payload = frame.payload.ok_or(FrameError::NoPayload)?;
    let status: Status = serde_json::from_str(&payload)?;
    let stream_tag = match frame.stream.as_slice() {
        [kind, tag] if kind.starts_with("hashtag") => Some(tag.clone()),
        _ => None,
    };
    Ok(Some((status, stream_tag)))
}

impl Status {
    /// The item for every room watching any of the status's tags (or the stream's tag).
    pub fn into_item(self, stream_tag: Option<String>, watch: &WatchList) -> Option<IngestItem> {
        if matches!(self.visibility.as_deref(), Some("private" | "direct")) {
            return None;
        }
        let mut tags: Vec<String> = self.tags.into_iter().map(|t| t.name).collect();
        tags.extend(stream_tag);
        let room_ids = watch.rooms_for_tags(&tags);
        if room_ids.is_empty() {
            return None;
        }
        let body = html::to_text(&self.content);
        let spoiler = html::to_text(&self.spoiler_text);
        let text = if spoiler.is_empty() {
            body
        } else {
            format!("CW: {spoiler}\n\n{body}")
        };
        let posted_at = OffsetDateTime::parse(&self.created_at, &Rfc3339).unwrap_or_else(|_| OffsetDateTime::now_utc());
        Some(IngestItem {
            source: IngestSource::Mastodon,
            author: author(&self.account),
            url: self.url.filter(|u| !u.is_empty()).unwrap_or(self.uri),
            external_id: self.id,
            room_ids,
            text,
            posted_at,
            author_id: None,
        })
    }
}

/// `ada@example.social`: local accounts' `acct` has no domain, so take it from their URL.
fn author(account: &Account) -> String {
    if account.acct.contains('@') {
        return account.acct.clone();
    }
    let host = account
        .url
        .as_deref()
        .and_then(|u| u.split("://").nth(1))
        .and_then(|rest| rest.split('/').next())
        .filter(|h| !h.is_empty());
    match host {
        Some(host) => format!("{}@{host}", account.acct),
        None => account.acct.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_frame_is_decoded_twice_and_routed_by_tags() {
        let status = serde_json::json!({
            "id": "1001", "uri": "https://ex.social/users/ada/statuses/1001",
            "url": "https://ex.social/@ada/1001", "created_at": "2026-11-23T03:00:00.000Z",
            "content": "<p>Prism <a href=\"x\">#<span>Optics</span></a></p>",
            "account": {"acct": "ada", "display_name": "Ada", "url": "https://ex.social/@ada"},
            "tags": [{"name": "optics"}], "visibility": "public"
        });
        let frame = serde_json::json!({"stream": ["hashtag", "optics"], "event": "update",
            "payload": status.to_string()});
        let (status, tag) = status_of(&frame.to_string()).unwrap().unwrap();
        let watch = WatchList::from_rooms([(42, vec!["optics"]), (7, vec!["other"])]);
        let item = status.into_item(tag, &watch).unwrap();
        assert_eq!(item.room_ids, vec![42]);
        assert_eq!(item.text, "Prism #Optics");
        assert_eq!(item.author, "ada@ex.social");
        assert_eq!(item.url, "https://ex.social/@ada/1001");
        assert_eq!(item.external_id, "1001");
    }

    #[test]
    fn delete_frames_carry_no_status() {
        let frame = r#"{"stream":["hashtag","optics"],"event":"delete","payload":"1001"}"#;
        assert!(status_of(frame).unwrap().is_none());
    }
}
