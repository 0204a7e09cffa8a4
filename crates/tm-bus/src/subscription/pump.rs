//! The task behind a [`super::Subscription`]: owns the queue, its bindings and its consumer
//! across connections, and serialises bind/unbind with recoveries.

use std::collections::{BTreeSet, VecDeque};

use bytes::Bytes;
use futures_util::StreamExt;
use lapin::options::{BasicConsumeOptions, BasicQosOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Connection, Consumer};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::{Command, Incoming, QueueKind, SubscribeSpec, SubscriptionEvent};
use crate::bus::Bus;
use crate::error::BusError;

/// The task behind a [`super::Subscription`].
pub(super) struct Pump {
    bus: Bus,
    spec: SubscribeSpec,
    bindings: BTreeSet<String>,
    /// Events taken from the broker (or `Recovered`) not yet handed to the owner. Never more
    /// than two: the consumer is only polled while it is empty.
    outbox: VecDeque<SubscriptionEvent>,
    events: mpsc::Sender<SubscriptionEvent>,
    commands: mpsc::Receiver<Command>,
    stop: CancellationToken,
}

/// A queue being consumed on one connection.
struct Session {
    ch: Channel,
    queue: String,
    consumer: Consumer,
}

impl Pump {
    pub(super) fn new(
        bus: Bus,
        spec: SubscribeSpec,
        events: mpsc::Sender<SubscriptionEvent>,
        commands: mpsc::Receiver<Command>,
        stop: CancellationToken,
    ) -> Self {
        Pump {
            bus,
            spec,
            bindings: BTreeSet::new(),
            outbox: VecDeque::new(),
            events,
            commands,
            stop,
        }
    }

    pub(super) async fn run(mut self, ready: oneshot::Sender<()>) {
        let mut ready = Some(ready);
        let mut backoff = self.bus.backoff();
        let mut sessions = 0u64;
        loop {
            let conn = match self.bus.inner.state.borrow().live() {
                Some(conn) => Some(conn),
                None => {
                    // Link down: unblock `subscribe` and serve commands while we wait.
                    if let Some(tx) = ready.take() {
                        let _ = tx.send(());
                    }
                    None
                }
            };
            let conn = match conn {
                Some(conn) => conn,
                None => match self.wait_for_link().await {
                    Some(conn) => conn,
                    None => return,
                },
            };
            match self.open(&conn).await {
                Ok(session) => {
                    sessions += 1;
                    backoff.reset();
                    if let Some(tx) = ready.take() {
                        let _ = tx.send(());
                    }
                    if sessions > 1 {
                        // After anything the old session still holds, before anything new.
                        self.outbox.push_back(SubscriptionEvent::Recovered);
                    }
                    if !self.serve(session).await {
                        return;
                    }
                    tracing::warn!(queue = ?self.spec.queue, "subscription lost; recovering");
                }
                Err(err) => {
                    tracing::warn!(error = %err, "cannot open subscription; retrying");
                    if let Some(tx) = ready.take() {
                        let _ = tx.send(());
                    }
                }
            }
            if !self.pause(backoff.next_delay()).await {
                return;
            }
        }
    }

    /// Sleeps before the next attempt while answering bind/unbind. `false` = stop.
    async fn pause(&mut self, delay: std::time::Duration) -> bool {
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = self.stop.cancelled() => return false,
                _ = &mut sleep => return true,
                cmd = self.commands.recv() => match cmd {
                    None => return false,
                    Some(cmd) => self.record_offline(cmd),
                },
            }
        }
    }

    /// Waits for a live connection while answering bind/unbind. `None` = stop.
    async fn wait_for_link(&mut self) -> Option<std::sync::Arc<Connection>> {
        loop {
            tokio::select! {
                _ = self.stop.cancelled() => return None,
                link = self.bus.live_link() => return link.ok().map(|(_, conn)| conn),
                cmd = self.commands.recv() => match cmd {
                    None => return None,
                    Some(cmd) => self.record_offline(cmd),
                },
            }
        }
    }

    fn record_offline(&mut self, cmd: Command) {
        let reply = match cmd {
            Command::Bind(pattern, reply) => {
                self.bindings.insert(pattern);
                reply
            }
            Command::Unbind(pattern, reply) => {
                self.bindings.remove(&pattern);
                reply
            }
        };
        let _ = reply.send(Err(BusError::Disconnected));
    }

    async fn open(&self, conn: &Connection) -> Result<Session, BusError> {
        let ch = conn.create_channel().await?;
        let (queue, no_ack) = match self.spec.queue {
            QueueKind::Exclusive => {
                let opts = QueueDeclareOptions {
                    exclusive: true,
                    auto_delete: true,
                    ..Default::default()
                };
                let q = ch.queue_declare("".into(), opts, FieldTable::default()).await?;
                (q.name().to_string(), true)
            }
            QueueKind::Durable(queue) => {
                ch.basic_qos(self.bus.inner.cfg.prefetch, BasicQosOptions::default())
                    .await?;
                (self.bus.names().queue(queue), false)
            }
        };
        for pattern in &self.bindings {
            bind(&ch, &self.bus, &queue, pattern).await?;
        }
        let opts = BasicConsumeOptions {
            no_ack,
            ..Default::default()
        };
        let consumer = ch
            .basic_consume(queue.clone().into(), "".into(), opts, FieldTable::default())
            .await?;
        tracing::info!(%queue, bindings = self.bindings.len(), "subscription open");
        Ok(Session { ch, queue, consumer })
    }

    /// Pumps one session. Returns false when the subscription should end.
    async fn serve(&mut self, mut session: Session) -> bool {
        let manual_ack = matches!(self.spec.queue, QueueKind::Durable(_));
        let Pump {
            bus,
            bindings,
            outbox,
            events,
            commands,
            stop,
            ..
        } = self;
        loop {
            tokio::select! {
                _ = stop.cancelled() => {
                    let _ = session.ch.close(200, "subscription dropped".into()).await;
                    return false;
                }
                cmd = commands.recv() => match cmd {
                    None => {
                        let _ = session.ch.close(200, "subscription dropped".into()).await;
                        return false;
                    }
                    Some(cmd) => apply(bindings, bus, &session, cmd).await,
                },
                permit = events.reserve(), if !outbox.is_empty() => match permit {
                    Ok(permit) => {
                        if let Some(event) = outbox.pop_front() {
                            permit.send(event);
                        }
                    }
                    Err(_) => return false,
                },
                next = session.consumer.next(), if outbox.is_empty() => match next {
                    Some(Ok(delivery)) => {
                        let delivery_count = delivery_count(&delivery.properties);
                        outbox.push_back(SubscriptionEvent::Message(Incoming {
                            routing_key: delivery.routing_key.to_string(),
                            message_id: delivery.properties.message_id().as_ref()
                                .map(|id| id.to_string()),
                            body: Bytes::from(delivery.data),
                            redelivered: delivery.redelivered,
                            delivery_count,
                            acker: manual_ack.then_some(delivery.acker),
                        }));
                    }
                    Some(Err(err)) => {
                        tracing::debug!(error = %err, queue = %session.queue, "consumer error");
                        return true;
                    }
                    None => return true,
                },
            }
        }
    }
}

/// Applies a bind/unbind to the live queue and records it for recoveries.
async fn apply(bindings: &mut BTreeSet<String>, bus: &Bus, session: &Session, cmd: Command) {
    let (result, reply) = match cmd {
        Command::Bind(pattern, reply) => {
            bindings.insert(pattern.clone());
            (bind(&session.ch, bus, &session.queue, &pattern).await, reply)
        }
        Command::Unbind(pattern, reply) => {
            bindings.remove(&pattern);
            let res = session
                .ch
                .queue_unbind(
                    session.queue.clone().into(),
                    bus.names().events_exchange().into(),
                    pattern.into(),
                    FieldTable::default(),
                )
                .await
                .map_err(BusError::from);
            (res, reply)
        }
    };
    // A command that raced with a lost link: say so plainly; the pattern is recorded.
    let result = match result {
        Err(_) if !session.ch.status().connected() => Err(BusError::Disconnected),
        other => other,
    };
    let _ = reply.send(result);
}

async fn bind(ch: &Channel, bus: &Bus, queue: &str, pattern: &str) -> Result<(), BusError> {
    ch.queue_bind(
        queue.into(),
        bus.names().events_exchange().into(),
        pattern.into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await?;
    Ok(())
}

fn delivery_count(props: &lapin::BasicProperties) -> Option<u64> {
    let headers = props.headers().as_ref()?;
    match headers.inner().get("x-delivery-count")? {
        AMQPValue::LongLongInt(n) => u64::try_from(*n).ok(),
        AMQPValue::LongInt(n) => u64::try_from(*n).ok(),
        AMQPValue::LongUInt(n) => Some(u64::from(*n)),
        AMQPValue::ShortInt(n) => u64::try_from(*n).ok(),
        AMQPValue::ShortUInt(n) => Some(u64::from(*n)),
        AMQPValue::ShortShortInt(n) => u64::try_from(*n).ok(),
        AMQPValue::ShortShortUInt(n) => Some(u64::from(*n)),
        _ => None,
    }
}
