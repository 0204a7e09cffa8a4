//! Reading messages and events back: `/messages?after=` and `/events?after=`.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use tm_core::event::{Message, MessageState, Seq};
use tm_core::Token;

use super::clock;
use super::db::columns::StoredName;
use super::event_log::{self, LoggedEvent};
use super::rooms::{find_by_slug, Capability, RoomError};
use super::Messages;
use crate::engine::db::models::{MessageRow, RoomRow};
use crate::engine::db::schema::messages;

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;

/// `?after=&limit=` of the read endpoints.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// Only items with a greater seq (default 0).
    pub after: Option<u64>,
    /// At most this many (default 100, max 1000).
    pub limit: Option<u32>,
}

/// `?after=&limit=&order=` of `/messages`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessagePage {
    pub after: Option<u64>,
    pub limit: Option<u32>,
    /// `seq` (default, oldest first) or `votes` (most votes first, ties oldest first).
    pub order: Option<Order>,
}

impl MessagePage {
    fn page(&self) -> Page {
        Page {
            after: self.after,
            limit: self.limit,
        }
    }
}

/// The order of `/messages`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    #[default]
    Seq,
    Votes,
}

impl Page {
    fn limit(&self) -> i64 {
        self.limit.map_or(DEFAULT_LIMIT, |l| i64::from(l).clamp(1, MAX_LIMIT))
    }
}

/// A message with its moderation state.
#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    #[serde(flatten)]
    pub message: Message,
    /// `visible`, `pending` (waiting for the owner's approval; `seq` 0) or `deleted` (what a
    /// reject answers).
    pub state: MessageState,
}

#[derive(Debug, Serialize)]
pub struct MessageList {
    pub messages: Vec<MessageView>,
    /// The room's current seq.
    pub seq: Seq,
}

#[derive(Debug, Serialize)]
pub struct EventList {
    pub events: Vec<LoggedEvent>,
    /// The room's current seq.
    pub seq: Seq,
}

/// The wire form of a stored message.
pub(crate) fn to_message(row: &MessageRow, slug: &str) -> Message {
    let tokens: Vec<Token> = serde_json::from_str(&row.tokens).unwrap_or_default();
    Message {
        id: row.id,
        seq: row.seq.unwrap_or(0),
        room: slug.to_owned(),
        nickname: row.nickname.clone(),
        color: row.color.clone(),
        body: row.body.clone(),
        tokens,
        kind: row.kind,
        source_url: row.source_url.clone(),
        created_at: clock::from_db(row.created_at),
        client_id: row.client_id.as_deref().and_then(|c| c.parse().ok()),
        votes: row.votes,
        answered: row.answered,
        pinned: row.pinned,
    }
}

pub(crate) fn to_view(row: &MessageRow, slug: &str) -> MessageView {
    MessageView {
        message: to_message(row, slug),
        state: row.state,
    }
}

impl Messages<'_> {
    /// Visible messages with `seq > after`, in seq order (or by votes).
    pub async fn list(&self, slug: &str, page: &MessagePage) -> Result<MessageList, RoomError> {
        let room = self.rooms().find(slug).await?;
        self.messages().list_in(&room, page).await
    }

    /// Visible messages of a room already looked up (and its access checked).
    pub async fn list_in(&self, room: &RoomRow, query: &MessagePage) -> Result<MessageList, RoomError> {
        let page = query.page();
        let mut conn = self.conn().await?;
        let visible = messages::table
            .filter(messages::room_id.eq(room.id))
            .filter(messages::state.eq(MessageState::Visible.stored_name()))
            .filter(messages::seq.gt(page.after.unwrap_or(0)))
            .limit(page.limit())
            .select(MessageRow::as_select());
        let rows: Vec<MessageRow> = match query.order.unwrap_or_default() {
            Order::Seq => visible.order(messages::seq.asc()).load(&mut conn).await?,
            Order::Votes => {
                visible
                    .order((messages::votes.desc(), messages::seq.asc()))
                    .load(&mut conn)
                    .await?
            }
        };
        Ok(MessageList {
            messages: rows.iter().map(|r| to_view(r, &room.slug)).collect(),
            seq: room.seq,
        })
    }

    /// The room's `count` latest visible messages, newest first: what its pages show. Read
    /// newest first along `(room_id, seq)`, so a room whose latest events are not messages
    /// (votes, settings, pins) still shows its latest messages, and no more rows are read than
    /// shown.
    pub async fn latest_in(&self, room: &RoomRow, count: u32) -> Result<Vec<MessageView>, RoomError> {
        let mut conn = self.conn().await?;
        let rows: Vec<MessageRow> = messages::table
            .filter(messages::room_id.eq(room.id))
            .filter(messages::state.eq(MessageState::Visible.stored_name()))
            .filter(messages::seq.is_not_null())
            .order(messages::seq.desc())
            .limit(i64::from(count).min(MAX_LIMIT))
            .select(MessageRow::as_select())
            .load(&mut conn)
            .await?;
        Ok(rows.iter().map(|r| to_view(r, &room.slug)).collect())
    }

    /// The room's event log with `seq > after`: exactly what the gateway sends.
    pub async fn events(&self, slug: &str, page: &Page) -> Result<EventList, RoomError> {
        let room = self.rooms().find(slug).await?;
        self.messages().events_in(&room, page).await
    }

    /// The event log of a room already looked up (and its access checked).
    pub async fn events_in(&self, room: &RoomRow, page: &Page) -> Result<EventList, RoomError> {
        let mut conn = self.conn().await?;
        let events = event_log::read_room_events(&mut conn, room.id, page.after.unwrap_or(0), page.limit()).await?;
        Ok(EventList { events, seq: room.seq })
    }

    /// Messages waiting for approval (the owner and co-moderators).
    pub async fn pending(&self, slug: &str, bearer: Option<&str>) -> Result<MessageList, RoomError> {
        let mut conn = self.conn().await?;
        let room = find_by_slug(&mut conn, slug).await?.ok_or(RoomError::NotFound)?;
        self.rooms()
            .permit_on(&mut conn, &room, bearer, Capability::Moderate)
            .await?
            .ok_or(RoomError::NotOwner)?;
        let rows: Vec<MessageRow> = messages::table
            .filter(messages::room_id.eq(room.id))
            .filter(messages::state.eq(MessageState::Pending.stored_name()))
            .order(messages::id.asc())
            .limit(MAX_LIMIT)
            .select(MessageRow::as_select())
            .load(&mut conn)
            .await?;
        Ok(MessageList {
            messages: rows.iter().map(|r| to_view(r, &room.slug)).collect(),
            seq: room.seq,
        })
    }
}
