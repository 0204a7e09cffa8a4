//! [`ExclusiveLock`]: the broker as a single-active lock.
//!
//! The lock is an exclusive, auto-delete queue `<prefix><name>` declared on a connection of its
//! own. Only one connection can hold an exclusive queue; another declare is refused with AMQP
//! reply 405 `RESOURCE_LOCKED`. When the holder's connection dies (process killed, network cut)
//! the broker deletes the queue and the next attempt elsewhere succeeds. The connection is not
//! the [`crate::Bus`]'s: the lock's lifetime is exactly "this holder is alive and reachable",
//! independent of the publishing and consuming channels, and a reconnecting `Bus` must not
//! silently take (or keep) a lock its owner thinks it lost.

use std::time::Duration;

use lapin::options::QueueDeclareOptions;
use lapin::protocol::{AMQPErrorKind, AMQPSoftError};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties, ErrorKind};

use crate::config::BusConfig;
use crate::error::BusError;
use crate::link::{self, Endpoint};

/// A holder cut off from the broker must lose the lock quickly, so the lock's connection uses a
/// shorter heartbeat than the bus's default.
const LOCK_HEARTBEAT_SECS: u16 = 5;
/// Longest one attempt on one node may take, from TCP connect to the declare's answer.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often [`ExclusiveLock::lost`] looks at the connection.
const LIVENESS_CHECK: Duration = Duration::from_millis(250);

/// A held lock. Dropping it, [`release`](ExclusiveLock::release) or losing its connection gives
/// it up.
pub struct ExclusiveLock {
    conn: Connection,
}

impl ExclusiveLock {
    /// One attempt to take the lock `name` (under `cfg.prefix`). `Ok(None)`: another
    /// connection holds it. With a cluster's nodes listed in `cfg.url`, each is tried in turn
    /// until one answers (the lock queue is the same on every node); `cfg.tls_ca_file` applies
    /// as for the bus. `holder` names the connection in the broker's UI.
    pub async fn try_take(cfg: &BusConfig, name: &str, holder: &str) -> Result<Option<ExclusiveLock>, BusError> {
        let queue = format!("{}{name}", cfg.prefix);
        let mut last = BusError::InvalidUrl("bus.url names no broker".to_owned());
        for mut endpoint in link::parse_urls(cfg)? {
            endpoint.uri.query.heartbeat = Some(LOCK_HEARTBEAT_SECS);
            match take_on(&endpoint, &queue, holder, cfg).await {
                // Held elsewhere is an answer, not a node failure: no use asking another node.
                Ok(taken) => return Ok(taken),
                Err(err) => last = err,
            }
        }
        Err(last)
    }

    /// Resolves once the lock's connection is gone (the lock may already be someone else's).
    pub async fn lost(&self) {
        let mut tick = tokio::time::interval(LIVENESS_CHECK);
        while self.conn.status().connected() {
            tick.tick().await;
        }
    }

    /// Gives the lock up at once and waits until the broker has it, so another holder can take
    /// over without waiting for a heartbeat timeout.
    pub async fn release(self) {
        if let Err(err) = self.conn.close(200, "lock released".into()).await {
            tracing::debug!(error = %err, "closing the lock's connection");
        }
    }
}

async fn take_on(
    endpoint: &Endpoint,
    queue: &str,
    holder: &str,
    cfg: &BusConfig,
) -> Result<Option<ExclusiveLock>, BusError> {
    // The probe keeps a silent broker from costing a leaked lapin IO thread (see crate docs).
    link::probe(&endpoint.uri, cfg.connect_timeout()).await?;
    let props = ConnectionProperties::default().with_connection_name(format!("{holder} lock").into());
    let connect = endpoint.connect(props)?;
    let conn = tokio::time::timeout(ATTEMPT_TIMEOUT, connect)
        .await
        .map_err(|_| BusError::Unreachable("AMQP handshake timed out".to_owned()))??;
    let declared = tokio::time::timeout(ATTEMPT_TIMEOUT, async {
        let channel = conn.create_channel().await?;
        let options = QueueDeclareOptions {
            exclusive: true,
            auto_delete: true,
            ..QueueDeclareOptions::default()
        };
        channel
            .queue_declare(queue.into(), options, FieldTable::default())
            .await
    })
    .await;
    match declared {
        Ok(Ok(_)) => Ok(Some(ExclusiveLock { conn })),
        Ok(Err(err)) => {
            let _ = conn.close(200, "lock not taken".into()).await;
            if is_resource_locked(&err) {
                Ok(None)
            } else {
                Err(err.into())
            }
        }
        Err(_) => {
            let _ = conn.close(200, "lock not taken".into()).await;
            Err(BusError::Unreachable("declaring the lock queue timed out".to_owned()))
        }
    }
}

/// The broker's typed answer "another connection owns this exclusive queue" (reply 405).
fn is_resource_locked(err: &lapin::Error) -> bool {
    matches!(
        err.kind(),
        ErrorKind::ProtocolError(amqp) if *amqp.kind() == AMQPErrorKind::Soft(AMQPSoftError::RESOURCELOCKED)
    )
}

#[cfg(test)]
mod tests {
    use lapin::protocol::AMQPError;

    use super::*;

    fn protocol_error(kind: AMQPErrorKind, text: &str) -> lapin::Error {
        ErrorKind::ProtocolError(AMQPError::new(kind, text.into())).into()
    }

    #[test]
    fn only_the_resource_locked_reply_means_held() {
        let locked = protocol_error(
            AMQPErrorKind::Soft(AMQPSoftError::RESOURCELOCKED),
            "cannot obtain exclusive access to locked queue",
        );
        assert!(is_resource_locked(&locked));
        // The text of another error may mention 405 or RESOURCE_LOCKED; only the code counts.
        let denied = protocol_error(
            AMQPErrorKind::Soft(AMQPSoftError::ACCESSREFUSED),
            "RESOURCE_LOCKED 405 in a queue name",
        );
        assert!(!is_resource_locked(&denied));
    }
}
