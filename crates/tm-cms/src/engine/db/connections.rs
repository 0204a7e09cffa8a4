//! The pool's connections, and when one is checked before it is handed out again.
//!
//! diesel-async's manager sends `SELECT 1` on every checkout. A post checks a connection out,
//! so that was one more round trip per post for a connection that had answered a moment ago.
//! Here a connection is handed out without a check when it was last checked out less than
//! [`TRUSTED_FOR`] ago and no statement on it has failed since; otherwise it is checked as
//! before (and replaced if the check fails). A connection that the database dropped in the
//! meantime fails its next statement like one that dropped right after a check: the caller
//! sees `DbError::Unavailable` (503, or a retried delivery), and the failure makes the pool
//! check it on its next checkout, so it is replaced then.

use std::time::Duration;

use deadpool::managed::{Manager, Metrics, RecycleError, RecycleResult};
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, PoolError, PoolableConnection};
use diesel_async::{AsyncConnection, AsyncMysqlConnection};

/// How long after its last checkout a connection that saw no failure is reused unchecked.
pub const TRUSTED_FOR: Duration = Duration::from_secs(1);

/// Creates the pool's connections and decides whether one needs a check before reuse.
pub struct Connections {
    inner: AsyncDieselConnectionManager<AsyncMysqlConnection>,
}

impl Connections {
    pub fn new(url: &str) -> Self {
        Connections {
            inner: AsyncDieselConnectionManager::new(url),
        }
    }
}

/// Remembers that a statement failed on this connection since its last check.
#[derive(Debug, Default)]
struct FailureWatch {
    failed: bool,
}

impl Instrumentation for FailureWatch {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::FinishQuery { error: Some(_), .. } = event {
            self.failed = true;
        }
    }
}

/// True (and forgets it) if a statement failed on `conn` since the last call; true for a
/// connection without the watch, so it is always checked.
fn failed_since_last_check(conn: &mut AsyncMysqlConnection) -> bool {
    conn.instrumentation()
        .downcast_mut::<FailureWatch>()
        .is_none_or(|watch| std::mem::take(&mut watch.failed))
}

impl Manager for Connections {
    type Type = AsyncMysqlConnection;
    type Error = PoolError;

    async fn create(&self) -> Result<AsyncMysqlConnection, PoolError> {
        let mut conn = self.inner.create().await?;
        conn.set_instrumentation(FailureWatch::default());
        Ok(conn)
    }

    async fn recycle(&self, conn: &mut AsyncMysqlConnection, metrics: &Metrics) -> RecycleResult<PoolError> {
        if conn.is_broken() {
            return Err(RecycleError::Message("broken connection".into()));
        }
        let failed = failed_since_last_check(conn);
        if !failed && metrics.last_used() < TRUSTED_FOR {
            return Ok(());
        }
        self.inner.recycle(conn, metrics).await
    }
}
