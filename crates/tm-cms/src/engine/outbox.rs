//! The relay's side of the event log: a dedicated connection that holds the relay lock (one
//! active relay across CMS instances), reads unpublished rows in id order and marks them
//! published. The publishing itself is `workers::relay`'s.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};
use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};

use super::clock;
use super::db::models::EventRow;
use super::db::reuse::{padded_to_power_of_two, Reuse};
use super::db::schema::room_events;
use super::db::DbError;

/// `GET_LOCK` names are server-wide: one relay lock per database.
const LOCK_NAME: &str = "CONCAT('tm.relay.', DATABASE())";

#[derive(QueryableByName)]
struct LockAnswer {
    #[diesel(sql_type = Nullable<BigInt>)]
    answer: Option<i64>,
}

/// How far publishing lags behind the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    pub events: i64,
    /// Age of the oldest unpublished row, 0 when there is none.
    pub oldest_ms: i64,
}

/// Not pooled: the lock lives exactly as long as this connection.
pub struct Outbox {
    conn: AsyncMysqlConnection,
}

impl Outbox {
    pub async fn connect(database_url: &str) -> Result<Self, DbError> {
        let conn = AsyncMysqlConnection::establish(database_url)
            .await
            .map_err(|e| DbError::Unavailable(e.to_string()))?;
        Ok(Outbox { conn })
    }

    async fn ask(&mut self, sql: &str) -> Result<Option<i64>, DbError> {
        // Two fixed texts: kept prepared on this connection.
        let row: LockAnswer = Reuse(diesel::sql_query(sql)).get_result(&mut self.conn).await?;
        Ok(row.answer)
    }

    /// Takes the relay lock without waiting; false if another instance holds it.
    pub async fn try_lock(&mut self) -> Result<bool, DbError> {
        Ok(self.ask(&format!("SELECT GET_LOCK({LOCK_NAME}, 0) AS answer")).await? == Some(1))
    }

    /// True while this connection still holds the lock (a dropped connection loses it).
    pub async fn holds_lock(&mut self) -> Result<bool, DbError> {
        let held = self
            .ask(&format!("SELECT IS_USED_LOCK({LOCK_NAME}) = CONNECTION_ID() AS answer"))
            .await?;
        Ok(held == Some(1))
    }

    /// Up to `limit` unpublished rows, oldest (lowest id) first.
    pub async fn unpublished(&mut self, limit: i64) -> Result<Vec<EventRow>, DbError> {
        Ok(room_events::table
            .filter(room_events::published_at.is_null())
            .order(room_events::id.asc())
            .limit(limit)
            .select(EventRow::as_select())
            .load(&mut self.conn)
            .await?)
    }

    pub async fn mark_published(&mut self, ids: &[u64]) -> Result<(), DbError> {
        // Padded: one prepared statement per power of two up to the batch size.
        let ids = padded_to_power_of_two(ids);
        Reuse(
            diesel::update(room_events::table.filter(room_events::id.eq_any(ids)))
                .set(room_events::published_at.eq(clock::now())),
        )
        .execute(&mut self.conn)
        .await?;
        Ok(())
    }

    pub async fn backlog(&mut self) -> Result<Backlog, DbError> {
        let (events, oldest): (i64, Option<time::PrimitiveDateTime>) = room_events::table
            .filter(room_events::published_at.is_null())
            .select((diesel::dsl::count_star(), diesel::dsl::min(room_events::created_at)))
            .first(&mut self.conn)
            .await?;
        let oldest_ms = oldest.map_or(0, |t| (clock::now() - t).whole_milliseconds().max(0) as i64);
        Ok(Backlog { events, oldest_ms })
    }
}
