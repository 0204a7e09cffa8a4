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
//! limiters, the settings, the derived keys) whose few methods hand out one borrowed handle per
//! domain: `engine.rooms()`, `.access()`, `.messages()`, `.moderation()`, `.co_moderators()`,
//! `.pages()`, `.admins()`, `.sources()`, `.sweeper()`, `.questions()`, `.polls()`, `.updates()` ([`Rooms`], [`Gatekeeper`], …, declared here so that
//! domain modules depend on this file and not the other way round). Each domain module adds its
//! operations to its handle, next to its types, rules and errors; a handle derefs to the engine,
//! so an operation reaches the pool and settings directly and another domain through its handle
//! (`self.rooms().find(slug)`). Nothing outside `engine/` adds operations.
//!
//! * [`db`]: pool, migrations, the diesel schema and typed rows ([`db::columns`] is the one place
//!   enum and hashtag columns convert);
//! * rooms: [`rooms`] (the API shape, rules, errors, reads) and [`room_writes`] (create,
//!   update, rotate the owner token, close); [`access`] and [`join`] (who may read and post);
//! * messages: [`messages`] (reads of messages and events), [`posting`] (posts and refusals),
//!   [`ingest`] (items from the ingest service); [`moderation`] (owner, admin and
//!   co-moderator actions, the queue, the audit log); [`co_moderators`] (the owner's
//!   co-moderators and their tokens; who may do what is `rooms::Actor::may`);
//! * Q&A and polls: [`questions`] (votes on messages, answered, pinned), [`polls`], and
//!   [`updates`] (vote counts announced coalesced, at most one event per subject per interval);
//! * the event log: [`event_log`] (appending), [`outbox`] (the relay's reads and marks),
//!   [`sources`] (watch-list snapshots and room heads);
//! * the site: [`pages`] (static pages) and [`admins`] (admin accounts and sessions; also what
//!   `tm-cms admin create|delete` runs);
//! * upkeep: [`sweeper`] (closing expired rooms, purging old ones), [`rate_limit`];
//! * helpers: [`clock`], [`secrets`], [`speaker_colors`].

pub mod access;
pub mod admins;
pub mod clock;
pub mod co_moderators;
pub mod db;
pub mod event_log;
pub mod ingest;
pub mod join;
pub mod messages;
pub mod moderation;
pub mod outbox;
pub mod pages;
pub mod polls;
pub mod post_writer;
pub mod posting;
pub mod questions;
pub mod rate_limit;
pub mod room_writes;
pub mod rooms;
pub mod secrets;
pub mod sources;
pub mod speaker_colors;
pub mod sweeper;
pub mod updates;

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
    /// An HTTP worker's group commit of posts; `None` elsewhere (posts then store alone).
    pub(crate) writer: Option<post_writer::PostWriter>,
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
            writer: None,
        })
    }

    /// The same engine with a connection pool of its own, for one HTTP worker thread. Each actix
    /// worker runs its own runtime, and a connection's socket is driven by the runtime that
    /// opened it: a connection shared with another worker costs two thread wake-ups per
    /// statement (measured: `docs/benchmarks.md`, issue 18). It also starts the worker's post
    /// writers ([`post_writer`]). The rest (limiters, the relay's wake-up, metrics, keys) stays
    /// shared.
    pub fn with_own_pool(&self) -> Result<Engine, DbError> {
        let db = &self.settings.database;
        let pool = db::pool(
            db.url.expose(),
            db.pool_size,
            std::time::Duration::from_millis(db.connect_timeout_ms),
        )?;
        let engine = Engine {
            pool,
            writer: None,
            ..self.clone()
        };
        // Posts that reach this worker together are stored together (`post_writer`). Its
        // writers run on this worker's runtime; outside a runtime posts are stored alone.
        let writer = tokio::runtime::Handle::try_current()
            .ok()
            .filter(|_| self.settings.posting.group_commit)
            .map(|_| post_writer::PostWriter::start(engine.clone(), db.pool_size.div_ceil(2)));
        Ok(Engine { writer, ..engine })
    }

    /// The keys the CMS signs with (each derived from the join secret for one purpose).
    pub fn keys(&self) -> &DerivedKeys {
        &self.keys
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// Rooms: views, owner checks, reads and writes.
    pub fn rooms(&self) -> Rooms<'_> {
        Rooms(self)
    }

    /// Who may read and post: access checks and join tokens.
    pub fn access(&self) -> Gatekeeper<'_> {
        Gatekeeper(self)
    }

    /// Messages and events: reads, posts, refusals, ingested items.
    pub fn messages(&self) -> Messages<'_> {
        Messages(self)
    }

    /// Owner, admin and co-moderator actions on messages and participants.
    pub fn moderation(&self) -> Moderator<'_> {
        Moderator(self)
    }

    /// The owner's co-moderators: create, list, revoke.
    pub fn co_moderators(&self) -> CoModerators<'_> {
        CoModerators(self)
    }

    /// Q&A: votes on messages, answered and pinned.
    pub fn questions(&self) -> Questions<'_> {
        Questions(self)
    }

    /// Polls: open, vote, close, list.
    pub fn polls(&self) -> Polls<'_> {
        Polls(self)
    }

    /// Coalesced `message.updated` / `poll.updated` events for vote counts.
    pub fn updates(&self) -> Updates<'_> {
        Updates(self)
    }

    /// The site's static pages.
    pub fn pages(&self) -> Pages<'_> {
        Pages(self)
    }

    /// Admin sign-in and sessions.
    pub fn admins(&self) -> Admins<'_> {
        Admins(self)
    }

    /// The watch list and room heads, for the other services.
    pub fn sources(&self) -> Sources<'_> {
        Sources(self)
    }

    /// Expiry and retention.
    pub fn sweeper(&self) -> Sweeper<'_> {
        Sweeper(self)
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

/// Declares a domain handle: the engine, borrowed, with that domain's operations. It derefs to
/// [`Engine`], so the operations reach the pool, the settings and the limiters directly.
macro_rules! domain_handle {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub struct $name<'a>(&'a Engine);

        impl std::ops::Deref for $name<'_> {
            type Target = Engine;
            fn deref(&self) -> &Self::Target {
                self.0
            }
        }
    };
}

domain_handle!(
    /// Rooms: views, owner checks and reads ([`rooms`]), writes ([`room_writes`]).
    Rooms
);

domain_handle!(
    /// Who may read and post ([`access`]) and join tokens ([`join`]).
    Gatekeeper
);

domain_handle!(
    /// Messages and events: reads ([`messages`]), posts and refusals ([`posting`]), ingested items
    /// ([`ingest`]).
    Messages
);

domain_handle!(
    /// Owner and admin actions on messages and participants ([`moderation`]).
    Moderator
);

domain_handle!(
    /// The owner's co-moderators and their tokens ([`co_moderators`]).
    CoModerators
);

domain_handle!(
    /// Q&A: votes, answered and pinned ([`questions`]).
    Questions
);

domain_handle!(
    /// Polls ([`polls`]).
    Polls
);

domain_handle!(
    /// Coalesced count updates ([`updates`]).
    Updates
);

domain_handle!(
    /// The site's static pages ([`pages`]).
    Pages
);

domain_handle!(
    /// Admin sign-in and sessions ([`admins`]), on the engine's pool and password work.
    Admins
);

domain_handle!(
    /// The watch list and room heads, for the other services ([`sources`]).
    Sources
);

domain_handle!(
    /// Expiry and retention ([`sweeper`]).
    Sweeper
);
