//! Answers to requests on `cms.control`, through the event log so that they leave in order with
//! everything committed before them: the watch list for tm-ingest (`sources.snapshot`, in order
//! with every `sources.changed`) and a room's latest seq for a gateway (`room.head`).

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use tm_core::event::{RoomHead, RoomId, RoomSources, Seq, SourcesSnapshot};

use super::event_log;
use super::Sources;
use crate::engine::db::models::RoomRow;
use crate::engine::db::schema::rooms;
use crate::engine::db::DbError;

impl Sources<'_> {
    /// Appends a `sources.snapshot` of every open room that follows a hashtag.
    pub async fn publish_snapshot(&self) -> Result<usize, DbError> {
        let mut conn = self.conn().await?;
        let count = conn
            .transaction::<_, DbError, _>(async move |conn| {
                // Lock the open rooms' rows so no hashtag change commits between the read
                // and the append (its `sources.changed` would then leave before the snapshot).
                let open: Vec<RoomRow> = rooms::table
                    .filter(rooms::open_slug.is_not_null())
                    .order(rooms::id.asc())
                    .select(RoomRow::as_select())
                    .for_update()
                    .load(conn)
                    .await?;
                let rooms: Vec<RoomSources> = open
                    .iter()
                    .map(|r| RoomSources {
                        room_id: r.id,
                        hashtags: super::rooms::tag_names(&r.hashtags),
                    })
                    .filter(|r| !r.hashtags.is_empty())
                    .collect();
                let count = rooms.len();
                event_log::append(conn, None, None, SourcesSnapshot { rooms }).await?;
                Ok(count)
            })
            .await?;
        self.events_committed();
        Ok(count)
    }
}

impl Sources<'_> {
    /// Appends a `room.head` for a gateway that asked (`room.head.request`): the room's latest
    /// seq, through the event log so that it leaves after every event up to that seq. The room
    /// row is locked so no post commits between the read and the append. Returns the head, or
    /// `None` for an unknown room (nothing to answer).
    pub async fn publish_room_head(&self, room_id: RoomId) -> Result<Option<Seq>, DbError> {
        let mut conn = self.conn().await?;
        let head = conn
            .transaction::<_, DbError, _>(async move |conn| {
                let Some(room) = event_log::lock_room(conn, room_id).await? else {
                    return Ok(None);
                };
                event_log::append(
                    conn,
                    Some(room_id),
                    None,
                    RoomHead {
                        room_id,
                        head: room.seq,
                    },
                )
                .await?;
                Ok(Some(room.seq))
            })
            .await?;
        self.events_committed();
        Ok(head)
    }
}
