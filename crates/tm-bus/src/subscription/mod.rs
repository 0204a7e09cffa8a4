//! Subscriptions to `tm.events` for the gateway and ingest: [`Bus::subscribe`].
//!
//! A background task owns the queue, its bindings and its consumer. `bind`/`unbind` go
//! through that task, so they never race with a recovery. After the connection is lost the
//! task re-declares the queue (an exclusive queue dies with its connection), re-applies every
//! current binding, consumes again, and then yields [`SubscriptionEvent::Recovered`] after the
//! messages it had already received and before any new one: the owner must assume it missed
//! messages in between (the gateway resyncs its rooms from the CMS; `seq` numbers make that
//! gap-free). `bind`/`unbind` while the link is down return `Disconnected` at once; the change
//! is recorded and applied at recovery.
//!
//! Exclusive queues are consumed with automatic acks (loss on outage is covered by the
//! `Recovered` signal); the broker does not apply prefetch to them, so a subscription whose
//! owner stops reading buffers in memory: read `next()` promptly. Durable queues use manual
//! acks and `prefetch`: call [`Incoming::ack`].

mod pump;

use bytes::Bytes;
use lapin::options::BasicNackOptions;
use lapin::Acker;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::bus::Bus;
use crate::error::BusError;
use crate::names::CommandQueue;
use pump::Pump;

/// Which queue a subscription reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueKind {
    /// Server-named, exclusive to this connection, deleted with it (one per gateway instance).
    Exclusive,
    /// One of the topology's durable queues (tm-ingest: `IngestSources`).
    Durable(CommandQueue),
}

/// What to subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscribeSpec {
    pub queue: QueueKind,
    /// Require a single-active-consumer queue (only `IngestSources` is declared that way).
    pub single_active: bool,
}

/// One message from a subscription.
#[derive(Debug)]
pub struct Incoming {
    pub routing_key: String,
    pub message_id: Option<String>,
    pub body: Bytes,
    pub redelivered: bool,
    /// The quorum queue's `x-delivery-count` (returns so far), when the broker sets it.
    pub delivery_count: Option<u64>,
    pub(crate) acker: Option<Acker>,
}

impl Incoming {
    /// Acknowledges a message from a durable queue (no-op on an exclusive queue).
    pub async fn ack(&self) -> Result<(), BusError> {
        if let Some(acker) = &self.acker {
            acker.ack(Default::default()).await?;
        }
        Ok(())
    }

    /// Rejects a message from a durable queue without requeue: it is dead-lettered.
    pub async fn reject(&self) -> Result<(), BusError> {
        if let Some(acker) = &self.acker {
            acker
                .nack(BasicNackOptions {
                    requeue: false,
                    multiple: false,
                })
                .await?;
        }
        Ok(())
    }
}

/// What [`Subscription::next`] yields.
#[derive(Debug)]
pub enum SubscriptionEvent {
    Message(Incoming),
    /// The queue and bindings were re-established after a lost connection: messages may have
    /// been missed (exclusive queue) or will be redelivered (durable queue).
    Recovered,
}

pub(crate) enum Command {
    Bind(String, oneshot::Sender<Result<(), BusError>>),
    Unbind(String, oneshot::Sender<Result<(), BusError>>),
}

/// A live subscription. Dropping it cancels the consumer (and deletes an exclusive queue).
pub struct Subscription {
    events: mpsc::Receiver<SubscriptionEvent>,
    commands: mpsc::Sender<Command>,
    _stop: tokio_util::sync::DropGuard,
}

impl Subscription {
    /// Adds a binding on `tm.events`. `Ok` once the broker has it. On `Err` (link down) the
    /// pattern is still kept and applied at recovery, which is then signalled as `Recovered`.
    pub async fn bind(&self, routing_pattern: &str) -> Result<(), BusError> {
        self.command(|tx| Command::Bind(routing_pattern.to_owned(), tx)).await
    }

    /// Removes a binding; same error semantics as [`Subscription::bind`].
    pub async fn unbind(&self, routing_pattern: &str) -> Result<(), BusError> {
        self.command(|tx| Command::Unbind(routing_pattern.to_owned(), tx)).await
    }

    /// The next message or recovery notice; `None` once the bus is closed.
    pub async fn next(&mut self) -> Option<SubscriptionEvent> {
        self.events.recv().await
    }

    async fn command(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<(), BusError>>) -> Command,
    ) -> Result<(), BusError> {
        let (tx, rx) = oneshot::channel();
        self.commands.send(make(tx)).await.map_err(|_| BusError::Closed)?;
        rx.await.map_err(|_| BusError::Closed)?
    }
}

impl Bus {
    /// Opens a subscription. The queue is declared (or checked) before this returns if the
    /// bus is connected; otherwise as soon as it connects.
    pub async fn subscribe(&self, spec: SubscribeSpec) -> Result<Subscription, BusError> {
        if let QueueKind::Durable(queue) = spec.queue {
            if spec.single_active && !queue.single_active_consumer() {
                return Err(BusError::Unsupported(format!(
                    "{} is not declared with a single active consumer",
                    queue.name()
                )));
            }
        }
        let (event_tx, event_rx) = mpsc::channel(256);
        let (cmd_tx, cmd_rx) = mpsc::channel(16);
        let stop = CancellationToken::new();
        let task = Pump::new(self.clone(), spec, event_tx, cmd_rx, stop.clone());
        let (ready_tx, ready_rx) = oneshot::channel();
        tokio::spawn(task.run(ready_tx));
        // Wait for the first session so the caller's first `bind` hits a declared queue, but
        // never longer than it takes to notice the link is down.
        let _ = ready_rx.await;
        Ok(Subscription {
            events: event_rx,
            commands: cmd_tx,
            _stop: stop.drop_guard(),
        })
    }
}
