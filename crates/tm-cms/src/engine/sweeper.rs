//! The expiry sweep: closes rooms whose lifetime ended (reason `expired`) and, after the
//! retention period, deletes closed rooms with their messages, events, mutes, moderators and
//! audit log (foreign keys cascade).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use tm_core::event::CloseReason;

use super::clock;
use super::db::schema::rooms;
use super::db::DbError;
use super::rooms::RoomError;
use super::Sweeper;

/// What one sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    pub closed: usize,
    pub deleted: usize,
}

impl Sweeper<'_> {
    /// One pass: close expired rooms, purge rooms closed longer than the retention.
    pub async fn sweep(&self) -> Result<Sweep, RoomError> {
        let now = clock::now();
        let expired: Vec<u64> = {
            let mut conn = self.conn().await?;
            rooms::table
                .filter(rooms::open_slug.is_not_null())
                .filter(rooms::expires_at.le(now))
                .select(rooms::id)
                .limit(500)
                .load(&mut conn)
                .await
                .map_err(DbError::from)?
        };
        for id in &expired {
            self.rooms().close(*id, CloseReason::Expired, "system").await?;
        }
        let cutoff = now - time::Duration::days(i64::from(self.settings.rooms.retention_days));
        let mut conn = self.conn().await?;
        let deleted = diesel::delete(rooms::table.filter(rooms::closed_at.le(cutoff)))
            .execute(&mut conn)
            .await
            .map_err(DbError::from)?;
        if !expired.is_empty() || deleted > 0 {
            tracing::info!(closed = expired.len(), deleted, "sweep");
        }
        Ok(Sweep {
            closed: expired.len(),
            deleted,
        })
    }

    /// Forgets rate-limit entries that have recovered (the sweeper's other chore).
    pub fn prune_rate_limits(&self) {
        self.limiters.prune();
    }
}
