//! The engine: every read and write of the database, shared by the HTTP API, the web pages and
//! the bus consumers so that all take exactly the same path. It is the only module that knows
//! SQL (diesel, in [`db`]) and it knows nothing of HTTP: its errors are plain `thiserror` enums
//! that `crate::errors` maps to status codes, and its types carry serde only (their OpenAPI
//! schemas are `crate::api::schemas`).
//!
//! Every write is one transaction: lock the room row (`SELECT … FOR UPDATE`), validate with
//! tm-core's types, write rows, bump the room's `seq` and append the event(s) to the event log.
//! Nothing is published inside the transaction; after commit the relay is woken.
//!
//! Shape: [`Engine`] is a small, cheap-to-clone facade (the pool, the relay's wake-up, the rate
//! limiters, the settings, the derived keys); each domain module adds its own operations to it
//! in its own `impl Engine` block, and no module outside `engine/` does. Callers thus hold one
//! handle, and each operation lives next to its domain's types, rules and errors:
//!
//! * [`db`]: pool, migrations, the diesel schema and typed rows ([`db::columns`] is the one place
//!   enum and hashtag columns convert);
//! * rooms: [`rooms`] (the API shape, rules, errors, reads) and [`room_writes`] (create,
//!   update, rotate the owner token, close); [`access`] and [`join`] (who may read and post);
//! * messages: [`messages`] (reads of messages and events), [`posting`] (posts and refusals),
//!   [`ingest`] (items from the ingest service); [`moderation`] (owner and admin actions, the
//!   queue, the audit log);
//! * the event log: [`event_log`] (appending), [`outbox`] (the relay's reads and marks),
//!   [`sources`] (watch-list snapshots and room heads);
//! * the site: [`pages`] (static pages) and [`admins`] (admin accounts and sessions; also what
//!   `tm-cms admin create|delete` runs);
//! * upkeep: [`sweeper`] (closing expired rooms, purging old ones), [`rate_limit`];
//! * helpers: [`clock`], [`secrets`].

pub mod access;
pub mod admins;
pub mod clock;
pub mod db;
pub mod event_log;
pub mod ingest;
pub mod join;
pub mod messages;
pub mod moderation;
pub mod outbox;
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
