//! The database: connection pool, embedded migrations, table definitions and the error policy.
//!
//! Error policy: a database that cannot be reached (no connection from the pool in time, an I/O
//! failure mid-query) is [`DbError::Unavailable`]; the API answers it with 503 `unavailable` and
//! the consumers with `HandleError::Transient`, so bus messages wait. Anything else is a query
//! failure, answered with 500. [`DbError::is_transient`] tells the two kinds of query failure
//! apart: contention (deadlock, lock wait timeout) goes away if the transaction is tried again;
//! everything else (data too long, a unique, foreign-key, not-null or check violation, a syntax
//! error) fails the same way every time, so the consumers dead-letter it with its reason instead
//! of retrying it forever in front of the rest of the queue.

pub mod columns;
pub mod connections;
pub mod models;
pub mod reuse;
pub mod schema;

use std::time::Duration;

use deadpool::managed::{Object, Pool, PoolError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::AsyncMysqlConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// Every migration in the repository's `migrations/`, compiled in.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

pub type DbPool = Pool<connections::Connections>;
pub type DbConn = Object<connections::Connections>;

/// Why a database call failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database query failed: {0}")]
    Query(#[source] DieselError),
}

impl DbError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, DbError::Unavailable(_))
    }

    /// True for a transient failure of this transaction alone (a deadlock, a lock wait
    /// timeout), as opposed to the database being unreachable for everyone.
    pub fn is_contention(&self) -> bool {
        match self {
            DbError::Query(DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _)) => true,
            DbError::Query(DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)) => {
                is_contention(info.message())
            }
            _ => false,
        }
    }

    /// True if trying the same work again later can succeed: the database was unreachable, or
    /// the transaction lost a deadlock or timed out waiting for a lock. False for failures that
    /// would repeat on every attempt (permanent).
    pub fn is_transient(&self) -> bool {
        match self {
            DbError::Unavailable(_) => true,
            DbError::Query(DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _)) => true,
            DbError::Query(DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)) => {
                is_contention(info.message())
            }
            DbError::Query(_) => false,
        }
    }
}

/// MySQL/MariaDB errors 1205 (lock wait timeout) and 1213 (deadlock), which the driver reports
/// only by their text; 1213 may also come as `SerializationFailure`.
fn is_contention(message: &str) -> bool {
    const MARKERS: [&str; 3] = [
        "Lock wait timeout exceeded",
        "Deadlock found",
        "try restarting transaction",
    ];
    MARKERS.iter().any(|m| message.contains(m))
}

impl From<DieselError> for DbError {
    fn from(err: DieselError) -> Self {
        match &err {
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info)
            | DieselError::DatabaseError(DatabaseErrorKind::UnableToSendCommand, info) => {
                DbError::Unavailable(info.message().to_owned())
            }
            // diesel-async reports the driver's I/O and protocol failures as `Unknown` with the
            // driver's message; server-side errors carry the server's text instead.
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) if is_connection_failure(info.message()) => {
                DbError::Unavailable(info.message().to_owned())
            }
            DieselError::BrokenTransactionManager => DbError::Unavailable(err.to_string()),
            _ => DbError::Query(err),
        }
    }
}

fn is_connection_failure(message: &str) -> bool {
    const MARKERS: [&str; 6] = [
        "Input/output error",
        "Driver error",
        "Other error",
        "Server shutdown in progress",
        "Connection",
        "connection",
    ];
    MARKERS.iter().any(|m| message.contains(m))
}

impl From<PoolError<diesel_async::pooled_connection::PoolError>> for DbError {
    fn from(err: PoolError<diesel_async::pooled_connection::PoolError>) -> Self {
        DbError::Unavailable(err.to_string())
    }
}

/// A small pool whose checkout fails after `connect_timeout` instead of hanging. Connections
/// in steady use are handed out without a check ([`connections`]).
pub fn pool(url: &str, size: usize, connect_timeout: Duration) -> Result<DbPool, DbError> {
    Pool::builder(connections::Connections::new(url))
        .max_size(size.max(1))
        .wait_timeout(Some(connect_timeout))
        .create_timeout(Some(connect_timeout))
        .recycle_timeout(Some(connect_timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| DbError::Unavailable(e.to_string()))
}

/// Checks a connection out of the pool.
pub async fn conn(pool: &DbPool) -> Result<DbConn, DbError> {
    Ok(pool.get().await?)
}

/// The migration lock, one per database (GET_LOCK names are server-wide): at most 64
/// characters, as MySQL allows.
const MIGRATION_LOCK_NAME: &str = "LEFT(CONCAT('tm.migrate.', DATABASE()), 64)";

/// How long a migrator waits for another one to finish before it gives up. Within the systemd
/// unit's `TimeoutStartSec=5min`, so a stuck lock shows as a failed start with this reason.
pub const MIGRATION_LOCK_WAIT: Duration = Duration::from_secs(240);

#[derive(diesel::QueryableByName)]
struct LockAnswer {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    answer: Option<i64>,
}

/// Applies pending migrations on a dedicated connection (diesel's harness is blocking, so it
/// runs on the blocking pool). Returns the versions applied.
///
/// Holds the database's migration lock (MySQL `GET_LOCK`) meanwhile, so instances that start
/// together take turns: the first applies everything, the others then find nothing to do.
/// Without it both would see the same pending versions and the second would fail (or apply a
/// migration twice).
pub async fn migrate(url: &str) -> Result<Vec<String>, DbError> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        use diesel::{Connection, RunQueryDsl};
        let mut conn = AsyncConnectionWrapper::<AsyncMysqlConnection>::establish(&url)
            .map_err(|e| DbError::Unavailable(e.to_string()))?;
        let wait = MIGRATION_LOCK_WAIT.as_secs();
        let taken: LockAnswer = diesel::sql_query(format!("SELECT GET_LOCK({MIGRATION_LOCK_NAME}, {wait}) AS answer"))
            .get_result(&mut conn)?;
        if taken.answer != Some(1) {
            return Err(DbError::Unavailable(format!(
                "migration lock still held by another instance after {wait} s"
            )));
        }
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(|v| v.to_string()).collect())
            .map_err(|e| DbError::Unavailable(format!("migration failed: {e}")));
        // Closing the connection would release it too; releasing first lets a waiter go on
        // before this connection is torn down.
        let released = diesel::sql_query(format!("SELECT RELEASE_LOCK({MIGRATION_LOCK_NAME}) AS answer"))
            .get_result::<LockAnswer>(&mut conn);
        if let Err(error) = released {
            tracing::warn!(%error, "could not release the migration lock; closing the connection does");
        }
        applied
    })
    .await
    .map_err(|e| DbError::Unavailable(format!("migration task failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown(message: &str) -> DieselError {
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, Box::new(message.to_owned()))
    }

    #[test]
    fn connection_failures_are_unavailable_and_the_rest_are_query_errors() {
        assert!(DbError::from(unknown("Input/output error: broken pipe")).is_unavailable());
        assert!(DbError::from(unknown("Driver error: `Connection to the server is closed.'")).is_unavailable());
        assert!(DbError::from(DieselError::BrokenTransactionManager).is_unavailable());
        assert!(!DbError::from(unknown("You have an error in your SQL syntax")).is_unavailable());
        assert!(!DbError::from(DieselError::NotFound).is_unavailable());
        let unique = DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, Box::new("dup".to_owned()));
        assert!(!DbError::from(unique).is_unavailable());
    }

    fn kind(kind: DatabaseErrorKind, message: &str) -> DbError {
        DbError::from(DieselError::DatabaseError(kind, Box::new(message.to_owned())))
    }

    #[test]
    fn outages_and_contention_are_transient_and_everything_else_permanent() {
        assert!(DbError::from(unknown("Input/output error: broken pipe")).is_transient());
        assert!(DbError::Unavailable("pool timed out".into()).is_transient());
        assert!(kind(
            DatabaseErrorKind::SerializationFailure,
            "Deadlock found when trying to get lock"
        )
        .is_transient());
        assert!(DbError::from(unknown("Lock wait timeout exceeded; try restarting transaction")).is_transient());
        assert!(!DbError::from(unknown("Data too long for column 'participant_id' at row 1")).is_transient());
        assert!(!kind(
            DatabaseErrorKind::UniqueViolation,
            "Duplicate entry 'x' for key 'messages_room_external'"
        )
        .is_transient());
        assert!(!kind(DatabaseErrorKind::CheckViolation, "CONSTRAINT failed").is_transient());
        assert!(!kind(
            DatabaseErrorKind::ForeignKeyViolation,
            "Cannot add or update a child row"
        )
        .is_transient());
        assert!(!kind(DatabaseErrorKind::NotNullViolation, "Column 'body' cannot be null").is_transient());
        assert!(!DbError::from(unknown("You have an error in your SQL syntax")).is_transient());
        assert!(DbError::from(unknown("Deadlock found when trying to get lock")).is_contention());
        assert!(
            !DbError::Unavailable("pool timed out".into()).is_contention(),
            "an outage is everyone's"
        );
    }
}
