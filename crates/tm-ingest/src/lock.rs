//! Single-active: the broker is the lock. Twitter allows one stream per app, so only the
//! instance holding the lock runs the sources.
//!
//! The lock is an exclusive, auto-delete queue `<prefix>ingest.lock` declared on a connection
//! of its own. Only one connection can hold an exclusive queue; another declare fails with
//! `RESOURCE_LOCKED`. When the holder's connection dies (process killed, network cut) the
//! broker deletes the queue and a standby's next attempt succeeds. A separate connection keeps
//! the lock's lifetime exactly "this process is alive and reachable", independent of the
//! publishing and consuming channels.

use std::time::Duration;

use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};

/// The lock queue's unprefixed name.
pub const LOCK_QUEUE: &str = "ingest.lock";

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another instance holds the lock")]
    Held,
    #[error("broker unreachable or failing: {0}")]
    Broker(String),
}

/// A held lock; dropping it (or losing the connection) releases it.
pub struct ActiveLock {
    conn: Connection,
}

impl ActiveLock {
    /// One attempt to take the lock. `urls` is `bus.url`: with a cluster's nodes listed, each is
    /// tried in turn until one answers (the lock queue is the same on every node).
    pub async fn try_acquire(urls: &str, prefix: &str, instance: &str) -> Result<Self, LockError> {
        let mut last = LockError::Broker("bus.url names no broker".into());
        for url in urls.split(',').map(str::trim).filter(|u| !u.is_empty()) {
            match Self::try_acquire_on(url, prefix, instance).await {
                Ok(lock) => return Ok(lock),
                // Held elsewhere is an answer, not a node failure: no use asking another node.
                Err(held @ LockError::Held) => return Err(held),
                Err(other) => last = other,
            }
        }
        Err(last)
    }

    async fn try_acquire_on(url: &str, prefix: &str, instance: &str) -> Result<Self, LockError> {
        let props = ConnectionProperties::default().with_connection_name(format!("{instance} lock").into());
        // A short heartbeat: a holder cut off from the broker must lose the lock quickly.
        let url = with_heartbeat(url, 5);
        let conn = tokio::time::timeout(Duration::from_secs(10), Connection::connect(&url, props))
            .await
            .map_err(|_| LockError::Broker("connect timed out".into()))?
            .map_err(|e| LockError::Broker(e.to_string()))?;
        let declared = async {
            let ch = conn.create_channel().await?;
            let opts = QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..Default::default()
            };
            ch.queue_declare(format!("{prefix}{LOCK_QUEUE}").into(), opts, FieldTable::default())
                .await
        }
        .await;
        match declared {
            Ok(_) => Ok(ActiveLock { conn }),
            Err(err) => {
                let _ = conn.close(200, "lock not taken".into()).await;
                let text = err.to_string();
                if text.contains("RESOURCE_LOCKED") || text.contains("405") {
                    Err(LockError::Held)
                } else {
                    Err(LockError::Broker(text))
                }
            }
        }
    }

    /// Resolves once the lock's connection is gone.
    pub async fn lost(&self) {
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        while self.conn.status().connected() {
            tick.tick().await;
        }
    }

    /// Gives the lock up at once (graceful stop), so a standby can take over.
    pub async fn release(self) {
        let _ = self.conn.close(200, "tm-ingest stopping".into()).await;
    }
}

fn with_heartbeat(url: &str, secs: u16) -> String {
    if url.contains("heartbeat=") {
        return url.to_owned();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}heartbeat={secs}")
}
