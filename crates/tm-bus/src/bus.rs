//! [`Bus`]: the handle services hold. Cheap to clone; all clones share one connection.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::backoff::Backoff;
use crate::config::BusConfig;
use crate::error::BusError;
use crate::link::{self, Link};
use crate::names::{CommandQueue, Names};
use crate::publisher::Publisher;
use crate::topology;

/// A supervised connection to RabbitMQ with tm's topology declared on it.
#[derive(Clone)]
pub struct Bus {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) cfg: BusConfig,
    pub(crate) names: Names,
    pub(crate) state: watch::Receiver<Link>,
    stop: CancellationToken,
    supervisor: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last handle is gone: stop reconnecting and close the connection.
        self.stop.cancel();
    }
}

impl Bus {
    /// Starts the connection supervisor and returns at once; the bus connects in the
    /// background and keeps retrying while the broker is unreachable. Only an invalid URL is
    /// or an unreadable `tls_ca_file` is
    /// an error. Must be called inside a tokio runtime.
    pub fn start(cfg: &BusConfig, connection_name: &str) -> Result<Bus, BusError> {
        let endpoints = link::parse_urls(cfg)?;
        let (tx, rx) = watch::channel(Link::default());
        let stop = CancellationToken::new();
        let task = tokio::spawn(link::supervise(
            cfg.clone(),
            endpoints,
            connection_name.to_owned(),
            tx,
            stop.clone(),
        ));
        Ok(Bus {
            inner: Arc::new(Inner {
                cfg: cfg.clone(),
                names: Names::new(&cfg.prefix),
                state: rx,
                stop,
                supervisor: Mutex::new(Some(task)),
            }),
        })
    }

    /// Starts the bus and waits (without limit) until it is connected and the topology is
    /// declared. A service that starts before the broker waits here; wrap it in a `select!`
    /// with shutdown, or use [`Bus::start`] and [`Bus::wait_connected`].
    pub async fn connect(cfg: &BusConfig, connection_name: &str) -> Result<Bus, BusError> {
        let bus = Bus::start(cfg, connection_name)?;
        bus.wait_connected().await?;
        Ok(bus)
    }

    /// Waits until a connection is up (topology declared). Errs only if the bus is closed.
    pub async fn wait_connected(&self) -> Result<(), BusError> {
        self.live_link().await.map(|_| ())
    }

    /// Whether the bus is connected right now (for `/readyz`).
    pub fn is_connected(&self) -> bool {
        self.inner.state.borrow().live().is_some()
    }

    /// How many connections have been established so far (1 after the first connect; +1 per
    /// recovery). Useful for metrics and tests.
    pub fn generation(&self) -> u64 {
        self.inner.state.borrow().generation
    }

    pub fn names(&self) -> &Names {
        &self.inner.names
    }

    pub fn config(&self) -> &BusConfig {
        &self.inner.cfg
    }

    /// A confirmed publisher sharing this bus's connection.
    pub async fn publisher(&self) -> Result<Publisher, BusError> {
        Ok(Publisher::new(self.clone()))
    }

    /// Messages ready in a durable queue (not counting unacked ones).
    pub async fn queue_depth(&self, queue: CommandQueue) -> Result<u32, BusError> {
        self.queue_depth_by_name(&self.inner.names.queue(queue)).await
    }

    /// Messages ready in a queue's dead-letter queue `tm.dead.<queue>`.
    pub async fn dead_letter_depth(&self, queue: CommandQueue) -> Result<u32, BusError> {
        self.queue_depth_by_name(&self.inner.names.dead_queue(queue)).await
    }

    /// Takes the oldest message of `tm.dead.<queue>` (for inspection and tests): its message id
    /// and the reason it was dead-lettered ([`crate::consumer::DEAD_REASON_HEADER`]), if any.
    pub async fn take_dead_letter(&self, queue: CommandQueue) -> Result<Option<DeadLetter>, BusError> {
        let conn = self.inner.state.borrow().live().ok_or(BusError::Disconnected)?;
        let ch = conn.create_channel().await?;
        let got = ch
            .basic_get(
                self.inner.names.dead_queue(queue).into(),
                lapin::options::BasicGetOptions { no_ack: true },
            )
            .await?;
        let _ = ch.close(200, "dead letter read".into()).await;
        Ok(got.map(|message| {
            let properties = &message.delivery.properties;
            let reason = properties.headers().as_ref().and_then(|headers| {
                headers
                    .inner()
                    .get(crate::consumer::DEAD_REASON_HEADER)
                    .and_then(|value| match value {
                        lapin::types::AMQPValue::LongString(text) => Some(text.to_string()),
                        _ => None,
                    })
            });
            DeadLetter {
                message_id: properties.message_id().as_ref().map(|id| id.to_string()),
                reason,
                body: message.delivery.data.clone(),
            }
        }))
    }

    async fn queue_depth_by_name(&self, name: &str) -> Result<u32, BusError> {
        let conn = self.inner.state.borrow().live().ok_or(BusError::Disconnected)?;
        let ch = conn.create_channel().await?;
        let opts = QueueDeclareOptions {
            passive: true,
            ..Default::default()
        };
        let queue = ch.queue_declare(name.into(), opts, FieldTable::default()).await?;
        let _ = ch.close(200, "depth read".into()).await;
        Ok(queue.message_count())
    }

    /// Deletes this bus's queues and exchanges. For tests and teardown of a prefixed
    /// deployment; services never call it.
    pub async fn delete_topology(&self) -> Result<(), BusError> {
        let conn = self.inner.state.borrow().live().ok_or(BusError::Disconnected)?;
        topology::delete(&conn, &self.inner.names).await?;
        Ok(())
    }

    /// Closes the connection and stops reconnecting. Consumers and subscriptions on this bus
    /// end; unacked deliveries return to their queues.
    pub async fn close(&self) {
        self.inner.stop.cancel();
        let task = match self.inner.supervisor.lock() {
            Ok(mut slot) => slot.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(task) = task {
            let _ = task.await;
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.inner.stop.is_cancelled()
    }

    /// The next live link: now if connected, else once the supervisor has reconnected.
    pub(crate) async fn live_link(&self) -> Result<(u64, Arc<lapin::Connection>), BusError> {
        let mut rx = self.inner.state.clone();
        loop {
            {
                let link = rx.borrow_and_update();
                if link.closed {
                    return Err(BusError::Closed);
                }
                if let Some(conn) = link.live() {
                    return Ok((link.generation, conn));
                }
            }
            // A dead connection the supervisor has not noticed yet changes no state: re-check
            // on a short timer as well as on state changes.
            if let Ok(Err(_)) = tokio::time::timeout(Duration::from_millis(200), rx.changed()).await {
                return Err(BusError::Closed);
            }
        }
    }

    /// Like [`Bus::live_link`] but also returns `None` when `until` is cancelled.
    pub(crate) async fn live_link_until(
        &self,
        until: &CancellationToken,
    ) -> Option<Result<(u64, Arc<lapin::Connection>), BusError>> {
        tokio::select! {
            _ = until.cancelled() => None,
            link = self.live_link() => Some(link),
        }
    }

    pub(crate) fn backoff(&self) -> Backoff {
        Backoff::new(self.inner.cfg.backoff_min(), self.inner.cfg.backoff_max())
    }
}

/// Sleeps for `delay` unless `until` is cancelled first; returns false if cancelled.
pub(crate) async fn pause(delay: Duration, until: &CancellationToken) -> bool {
    tokio::select! {
        _ = until.cancelled() => false,
        _ = tokio::time::sleep(delay) => true,
    }
}

/// A message taken from a dead-letter queue.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub message_id: Option<String>,
    /// Why it was dead-lettered; `None` if the broker did it (delivery limit, or a rejection
    /// whose copy could not be published).
    pub reason: Option<String>,
    pub body: Vec<u8>,
}
