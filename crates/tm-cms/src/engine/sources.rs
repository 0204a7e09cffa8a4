//! The watch list for tm-ingest: answering `sources.snapshot.request` with a `sources.snapshot`
//! event through the event log (so it leaves in order with every `sources.changed`).

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use tm_core::event::{RoomSources, SourcesSnapshot};

use super::{event_log, Engine};
use crate::db::models::RoomRow;
use crate::db::schema::rooms;
use crate::db::DbError;

impl Engine {
    /// Appends a `sources.snapshot` of every open room that follows a hashtag.
    pub async fn publish_sources_snapshot(&self) -> Result<usize, DbError> {
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
                        hashtags: super::rooms::hashtags_of(r),
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
