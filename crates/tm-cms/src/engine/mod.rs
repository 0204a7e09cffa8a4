//! The engine: every read and write of rooms and messages, shared by the HTTP API and the bus
//! consumers so that both take exactly the same path.
//!
//! Every write is one transaction: lock the room row (`SELECT … FOR UPDATE`), validate with
//! tm-core's types, write rows, bump the room's `seq` and append the event(s) to the event log.
//! Nothing is published inside the transaction; after commit the relay is woken.

pub mod access;
pub mod admins;
pub mod clock;
pub mod db;
pub mod event_log;
pub mod ingest;
pub mod join;
pub mod messages;
pub mod moderation;
pub mod pages;
pub mod posting;
pub mod rate_limit;
pub mod room_writes;
pub mod rooms;
pub mod secrets;
pub mod sources;
pub mod sweeper;

use std::sync::Arc;

use tm_core::keys::{DerivedKeys, SecretError};
use tokio::sync::Notify;

use crate::config::Settings;
use crate::engine::db::{DbError, DbPool};
use crate::metrics::Metrics;
use rate_limit::Limiters;

/// Cheap to clone; holds the pool, the relay's wake-up and the rate limiters.
#[derive(Clone)]
pub struct Engine {
    pub(crate) pool: DbPool,
    pub(crate) relay_wakeup: Arc<Notify>,
    pub(crate) limiters: Arc<Limiters>,
    pub(crate) settings: Arc<Settings>,
    pub(crate) metrics: Arc<Metrics>,
    /// The keys derived from the join secret, one per purpose (tm-core `keys`).
    pub(crate) keys: Arc<DerivedKeys>,
    /// Bounded argon2 work (room passwords, admin sign-in).
    pub(crate) passwords: secrets::PasswordWork,
}

impl Engine {
    /// Fails only when the join secret is too short to derive keys from.
    pub fn new(pool: DbPool, settings: Arc<Settings>, metrics: Arc<Metrics>) -> Result<Self, SecretError> {
        let keys = Arc::new(DerivedKeys::derive(settings.join.secret.expose().as_bytes())?);
        let passwords = secrets::PasswordWork::new(settings.passwords.max_concurrent_hashes, metrics.clone());
        Ok(Engine {
            pool,
            relay_wakeup: Arc::new(Notify::new()),
            limiters: Arc::new(Limiters::new(&settings)),
            settings,
            metrics,
            keys,
            passwords,
        })
    }

    /// The keys the CMS signs with (each derived from the join secret for one purpose).
    pub fn keys(&self) -> &DerivedKeys {
        &self.keys
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// Wakes the relay after a commit that appended events (a stored permit if it is busy).
    pub(crate) fn events_committed(&self) {
        self.relay_wakeup.notify_one();
    }

    pub fn relay_wakeup(&self) -> Arc<Notify> {
        self.relay_wakeup.clone()
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// True if a pooled connection answers a query (readiness).
    pub async fn database_reachable(&self) -> bool {
        use diesel_async::RunQueryDsl;
        match self.conn().await {
            Ok(mut conn) => diesel::sql_query("SELECT 1").execute(&mut conn).await.is_ok(),
            Err(_) => false,
        }
    }

    /// A pooled connection, or `Unavailable` after the configured timeout.
    pub(crate) async fn conn(&self) -> Result<crate::engine::db::DbConn, DbError> {
        crate::engine::db::conn(&self.pool).await
    }
}

/// Implements `From<diesel::result::Error>` for an area's error enum through [`DbError`], so
/// `?` and diesel-async's `transaction` work with it.
macro_rules! from_diesel {
    ($name:ident) => {
        impl From<diesel::result::Error> for $name {
            fn from(err: diesel::result::Error) -> Self {
                $name::Db(crate::engine::db::DbError::from(err))
            }
        }
    };
}
pub(crate) use from_diesel;
