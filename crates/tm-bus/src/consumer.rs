//! The acking consumer for command queues: [`Bus::consume`] and the [`Handler`] trait.
//!
//! Deliveries are handled one at a time, in queue order, with `prefetch` of them in flight.
//! A delivery is acked only after the handler returns `Ok`. What happens otherwise:
//! - bytes that are not an envelope: dead-lettered → `tm.dead.<queue>`; the handler never sees
//!   them;
//! - [`HandleError::Poison`]: dead-lettered → `tm.dead.<queue>`.
//!
//!   Dead-lettering republishes the message, unchanged but for a [`DEAD_REASON_HEADER`] header
//!   that says why, to the dead-letter exchange (confirmed), then acks it; should that publish
//!   fail, the delivery is rejected without requeue instead (the broker dead-letters it, without
//!   the reason);
//! - [`HandleError::Contended`]: retried in place like a transient error at most
//!   [`CONTENDED_RETRIES`] times, then moved to the back of the queue (republished to it,
//!   confirmed, then acked): a message stuck on its own trouble does not hold up the others;
//! - [`HandleError::Transient`]: nothing is sent to the broker; after a jittered, capped
//!   backoff the handler is called again with the same envelope, for as long as it takes (this
//!   burns no delivery attempt, see [`crate::topology`]);
//! - the connection drops: the broker requeues what was unacked; the consumer re-subscribes
//!   once the bus has reconnected. The handler may therefore see a message twice (at least
//!   once delivery): it must be idempotent on the envelope id.
//!
//! Batches: a handler whose [`Handler::max_batch`] is above 1 gets the deliveries that are
//! ready together (already received, up to that many, never waiting for more) in one call to
//! [`Handler::handle_batch`]. It does all of them or none: on `true` they are acked with one
//! `basic.ack` (multiple); on `false` each is handled on its own as above, in order. So a
//! backlog costs one transaction per batch, and a failure inside a batch still ends with each
//! message retried, dead-lettered or acked for its own reason.
//!
//! Nothing waits on the broker without a bound: the subscription's setup and each ack give up
//! after `confirm_timeout_secs` and start a new session, and a consumer left idle while its
//! queue holds ready messages re-subscribes (see [`StallWatchdog`]).

use std::future::Future;
use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Confirmation, Connection};
use tm_core::event::RawEnvelope;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::bus::{pause, Bus};
use crate::error::{BusError, HandleError};
use crate::names::CommandQueue;

/// In-place retries of a [`HandleError::Contended`] delivery before it goes to the back of the
/// queue.
pub const CONTENDED_RETRIES: u32 = 3;

/// The header a dead-lettered message carries: why it was taken out of its queue.
pub const DEAD_REASON_HEADER: &str = "x-tm-dead-reason";

/// Processes one command. Called again with the same envelope after a transient error.
pub trait Handler: Send + Sync + 'static {
    fn handle(&self, env: RawEnvelope) -> impl Future<Output = Result<(), HandleError>> + Send;

    /// How many ready deliveries [`Handler::handle_batch`] takes at once; 1 (the default): it
    /// is never called.
    fn max_batch(&self) -> usize {
        1
    }

    /// Handles deliveries that were ready together, all or none: `true` when every one is done
    /// (they are acked together), `false` when none was kept, to have each handled on its own
    /// with [`Handler::handle`].
    fn handle_batch(&self, envs: &[RawEnvelope]) -> impl Future<Output = bool> + Send {
        let _ = envs;
        std::future::ready(false)
    }
}

impl<F, Fut> Handler for F
where
    F: Fn(RawEnvelope) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HandleError>> + Send,
{
    fn handle(&self, env: RawEnvelope) -> impl Future<Output = Result<(), HandleError>> + Send {
        self(env)
    }
}

/// How long a consumer may sit idle before it checks whether the broker holds messages back.
const STALL_WINDOW: Duration = Duration::from_secs(5);
/// Idle windows in a row with messages ready that make a consumer re-subscribe.
const STALLED_WINDOWS: u32 = 2;

/// Notices a subscription the broker no longer delivers to: messages ready in the queue, yet
/// none delivered for [`STALLED_WINDOWS`] idle windows (or the broker not answering the depth
/// query at all). Seen after a broker's unclean restart: the connection and the consumer look
/// alive while the queue fills. A fresh subscription costs nothing when it was a false alarm:
/// an idle consumer holds no unacked deliveries.
#[derive(Default)]
struct StallWatchdog {
    idle_windows_with_ready: u32,
}

impl StallWatchdog {
    fn delivered(&mut self) {
        self.idle_windows_with_ready = 0;
    }

    /// One idle window passed and the queue holds `ready` messages (`None`: unknown, the broker
    /// did not answer). Returns why to re-subscribe, once it is time to.
    fn idle_window(&mut self, ready: Option<u32>) -> Option<String> {
        if ready == Some(0) {
            self.idle_windows_with_ready = 0;
            return None;
        }
        self.idle_windows_with_ready += 1;
        (self.idle_windows_with_ready >= STALLED_WINDOWS).then(|| {
            let idle = STALL_WINDOW * STALLED_WINDOWS;
            match ready {
                Some(n) => format!("stalled: {n} messages ready but none delivered for {idle:?}"),
                None => format!("stalled: no delivery for {idle:?} and the broker does not answer"),
            }
        })
    }
}

/// How one consume session ended.
enum SessionEnd {
    Shutdown,
    Lost(String),
}

impl Bus {
    /// Consumes `queue` until `shutdown` is cancelled, surviving broker outages. Returns `Ok`
    /// on shutdown and `Err(BusError::Closed)` if the bus is closed under it.
    pub async fn consume<H: Handler>(
        &self,
        queue: CommandQueue,
        handler: H,
        shutdown: CancellationToken,
    ) -> Result<(), BusError> {
        let mut backoff = self.backoff();
        loop {
            let conn = match self.live_link_until(&shutdown).await {
                None => return Ok(()),
                Some(link) => link?.1,
            };
            let span = tracing::info_span!("consume", queue = queue.name());
            match self.session(&conn, queue, &handler, &shutdown).instrument(span).await {
                Ok(SessionEnd::Shutdown) => return Ok(()),
                Ok(SessionEnd::Lost(why)) => {
                    tracing::warn!(queue = queue.name(), reason = %why, "consumer lost; resuming");
                    backoff.reset();
                }
                Err(err) => {
                    tracing::warn!(queue = queue.name(), error = %err, "cannot start consumer");
                }
            }
            if !pause(backoff.next_delay(), &shutdown).await {
                return Ok(());
            }
        }
    }

    async fn session<H: Handler>(
        &self,
        conn: &Connection,
        queue: CommandQueue,
        handler: &H,
        shutdown: &CancellationToken,
    ) -> Result<SessionEnd, BusError> {
        let setup = async {
            let ch = conn.create_channel().await?;
            ch.basic_qos(self.inner.cfg.prefetch, BasicQosOptions::default())
                .await?;
            // Confirms, so that a message is acked only once its dead-lettered copy is safe.
            ch.confirm_select(ConfirmSelectOptions::default()).await?;
            let deliveries = ch
                .basic_consume(
                    self.names().queue(queue).into(),
                    "".into(),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await?;
            Ok::<_, BusError>((ch, deliveries))
        };
        // A broker that accepted the connection but never answers (a queue still recovering
        // after a crash) must not hold the consumer forever: give up and start over.
        let after = self.inner.cfg.confirm_timeout();
        let (ch, mut deliveries) = tokio::time::timeout(after, setup)
            .await
            .map_err(|_| BusError::Timeout {
                what: "the consumer's setup",
                after,
            })??;
        tracing::info!("consuming");
        let mut watchdog = StallWatchdog::default();
        // An inactive single-active consumer waits with messages ready by design.
        let watch_stalls = !queue.single_active_consumer();
        loop {
            let next = tokio::select! {
                biased;
                _ = shutdown.cancelled() => return Ok(close(&ch).await),
                next = deliveries.next() => next,
                _ = tokio::time::sleep(STALL_WINDOW), if watch_stalls => {
                    // Idle for a whole window: is the broker holding messages back from us?
                    if !ch.status().connected() {
                        return Ok(SessionEnd::Lost("channel closed while idle".to_owned()));
                    }
                    let ready = self.ready_messages(queue).await;
                    if let Some(why) = watchdog.idle_window(ready) {
                        let _ = ch.close(200, "consumer stalled".into()).await;
                        return Ok(SessionEnd::Lost(why));
                    }
                    continue;
                }
            };
            watchdog.delivered();
            let delivery = match next {
                Some(Ok(delivery)) => delivery,
                Some(Err(err)) => return Ok(SessionEnd::Lost(err.to_string())),
                None => return Ok(SessionEnd::Lost("consumer cancelled".to_owned())),
            };
            // Whatever else has arrived already joins it, without waiting for more.
            let mut batch = vec![delivery];
            let mut ended = None;
            while ended.is_none() && batch.len() < handler.max_batch() {
                match deliveries.next().now_or_never() {
                    Some(Some(Ok(delivery))) => batch.push(delivery),
                    Some(Some(Err(err))) => ended = Some(err.to_string()),
                    Some(None) => ended = Some("consumer cancelled".to_owned()),
                    None => break,
                }
            }
            match self.process_batch(&ch, queue, &batch, handler, shutdown).await {
                Ok(true) => {}
                Ok(false) => return Ok(close(&ch).await),
                Err(why) => return Ok(SessionEnd::Lost(why)),
            }
            if let Some(why) = ended {
                return Ok(SessionEnd::Lost(why));
            }
        }
    }

    /// Handles deliveries that arrived together: one by one, or as one batch when the handler
    /// takes batches and every one is an envelope. `Ok(false)` on shutdown.
    async fn process_batch<H: Handler>(
        &self,
        ch: &Channel,
        queue: CommandQueue,
        batch: &[Delivery],
        handler: &H,
        shutdown: &CancellationToken,
    ) -> Result<bool, String> {
        if let [delivery] = batch {
            return self.process(ch, queue, delivery, handler, shutdown).await;
        }
        let envs: Option<Vec<RawEnvelope>> = batch
            .iter()
            .map(|delivery| RawEnvelope::from_slice(&delivery.data).ok())
            .collect();
        if let (Some(envs), Some(last)) = (envs, batch.last()) {
            let span = tracing::info_span!("handle_batch", count = envs.len());
            if handler.handle_batch(&envs).instrument(span).await {
                return self.ack_up_to(ch, last).await.map(|()| true);
            }
        }
        for delivery in batch {
            if !self.process(ch, queue, delivery, handler, shutdown).await? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Messages ready in `queue`, asked on a channel of its own; `None` when the broker does
    /// not answer within a window.
    async fn ready_messages(&self, queue: CommandQueue) -> Option<u32> {
        match tokio::time::timeout(STALL_WINDOW, self.queue_depth(queue)).await {
            Ok(Ok(ready)) => Some(ready),
            Ok(Err(err)) => {
                tracing::debug!(error = %err, "cannot read the queue depth");
                None
            }
            Err(_) => None,
        }
    }

    /// Handles one delivery to its end (ack or dead-letter). `Ok(false)` on shutdown.
    async fn process<H: Handler>(
        &self,
        ch: &Channel,
        queue: CommandQueue,
        delivery: &Delivery,
        handler: &H,
        shutdown: &CancellationToken,
    ) -> Result<bool, String> {
        let message_id = delivery.properties.message_id().as_ref().map(|id| id.to_string());
        let env = match RawEnvelope::from_slice(&delivery.data) {
            Ok(env) => env,
            Err(err) => {
                tracing::warn!(?message_id, error = %err, "undecodable message; dead-lettering");
                let reason = format!("not an envelope: {err}");
                self.dead_letter(ch, queue, delivery, &reason)
                    .await
                    .map_err(|e| e.to_string())?;
                return Ok(true);
            }
        };
        let mut backoff = self.backoff();
        let mut contended = 0;
        loop {
            let span = tracing::info_span!("handle", id = %env.id, kind = %env.kind);
            match handler.handle(env.clone()).instrument(span).await {
                Ok(()) => {
                    self.ack(ch, delivery).await?;
                    return Ok(true);
                }
                Err(HandleError::Poison(reason)) => {
                    tracing::warn!(id = %env.id, kind = %env.kind, %reason,
                        "poison message; dead-lettering");
                    self.dead_letter(ch, queue, delivery, &reason)
                        .await
                        .map_err(|e| e.to_string())?;
                    return Ok(true);
                }
                Err(HandleError::Contended(reason)) if contended >= CONTENDED_RETRIES => {
                    tracing::warn!(id = %env.id, kind = %env.kind, %reason,
                        "handler keeps failing on this message; moving it to the back of the queue");
                    if self.requeue_at_back(ch, queue, delivery).await {
                        return Ok(true);
                    }
                    // Not confirmed: keep it here and try again after a pause.
                    if !pause(backoff.next_delay(), shutdown).await {
                        return Ok(false);
                    }
                }
                Err(HandleError::Contended(reason)) => {
                    contended += 1;
                    let delay = backoff.next_delay();
                    tracing::warn!(id = %env.id, kind = %env.kind, %reason, ?delay, contended,
                        "handler failed on this message; will retry it");
                    if !pause(delay, shutdown).await {
                        return Ok(false);
                    }
                    if !ch.status().connected() {
                        return Err("channel lost while retrying a handler".to_owned());
                    }
                }
                Err(HandleError::Transient(reason)) => {
                    let delay = backoff.next_delay();
                    tracing::warn!(id = %env.id, kind = %env.kind, %reason, ?delay,
                        "handler failed transiently; will retry the same message");
                    if !pause(delay, shutdown).await {
                        return Ok(false);
                    }
                    if !ch.status().connected() {
                        // The broker has already requeued it; it will come back.
                        return Err("channel lost while retrying a handler".to_owned());
                    }
                }
            }
        }
    }
}

impl Bus {
    /// Acks a handled delivery. An ack that lapin drops (its channel died under it) or that
    /// does not go out in time ends the session: the broker requeues the message and it is
    /// redelivered on the next one, where the idempotent handler acks it again.
    async fn ack(&self, ch: &Channel, delivery: &Delivery) -> Result<(), String> {
        self.ack_with(ch, delivery, BasicAckOptions::default()).await
    }

    /// Acks `last` and every delivery before it on this channel (`multiple`): a batch handled
    /// as one. Failures end the session as for [`Bus::ack`].
    async fn ack_up_to(&self, ch: &Channel, last: &Delivery) -> Result<(), String> {
        self.ack_with(ch, last, BasicAckOptions { multiple: true }).await
    }

    async fn ack_with(&self, ch: &Channel, delivery: &Delivery, options: BasicAckOptions) -> Result<(), String> {
        let after = self.inner.cfg.confirm_timeout();
        match tokio::time::timeout(after, delivery.acker.ack(options)).await {
            Ok(Ok(true)) => Ok(()),
            Ok(Ok(false)) if ch.status().connected() => Ok(()),
            Ok(Ok(false)) => Err("ack dropped: the channel is gone".to_owned()),
            Ok(Err(err)) => Err(err.to_string()),
            Err(_) => Err(format!("ack not sent within {after:?}")),
        }
    }

    /// Republishes a delivery, unchanged, to the back of its own queue and acks it; false if the
    /// copy was not confirmed (then the delivery is left as it is).
    async fn requeue_at_back(&self, ch: &Channel, queue: CommandQueue, delivery: &Delivery) -> bool {
        let published = async {
            ch.basic_publish(
                "".into(),
                self.names().queue(queue).into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..Default::default()
                },
                &delivery.data,
                delivery.properties.clone(),
            )
            .await?
            .await
        };
        match published.await {
            Ok(Confirmation::Ack(None)) => delivery.acker.ack(BasicAckOptions::default()).await.is_ok(),
            other => {
                tracing::warn!(?other, "copy to the back of the queue not confirmed");
                false
            }
        }
    }

    /// Moves a delivery to `tm.dead.<queue>` with `reason` in its headers (see the module doc).
    async fn dead_letter(
        &self,
        ch: &Channel,
        queue: CommandQueue,
        delivery: &Delivery,
        reason: &str,
    ) -> Result<(), lapin::Error> {
        let mut headers = delivery.properties.headers().clone().unwrap_or_default();
        headers.insert(DEAD_REASON_HEADER.into(), AMQPValue::LongString(reason.into()));
        let properties = delivery.properties.clone().with_headers(headers);
        let published = async {
            ch.basic_publish(
                self.names().dead_exchange().into(),
                queue.name().into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..Default::default()
                },
                &delivery.data,
                properties,
            )
            .await?
            .await
        };
        match published.await {
            Ok(Confirmation::Ack(None)) => delivery.acker.ack(BasicAckOptions::default()).await.map(|_| ()),
            other => {
                tracing::warn!(?other, "dead-letter copy not confirmed; rejecting without the reason");
                reject(delivery).await
            }
        }
    }
}

async fn reject(delivery: &Delivery) -> Result<(), lapin::Error> {
    delivery
        .acker
        .nack(BasicNackOptions {
            requeue: false,
            multiple: false,
        })
        .await
        .map(|_| ())
}

async fn close(ch: &Channel) -> SessionEnd {
    // Unacked deliveries go back to the queue when the channel closes.
    if let Err(err) = ch.close(200, "consumer shutdown".into()).await {
        tracing::debug!(error = %err, "closing consumer channel");
    }
    SessionEnd::Shutdown
}

#[cfg(test)]
mod tests {
    use super::StallWatchdog;

    #[test]
    fn a_consumer_is_stalled_only_after_idle_windows_in_a_row_with_messages_ready() {
        let mut watchdog = StallWatchdog::default();
        assert_eq!(watchdog.idle_window(Some(3)), None);
        let why = watchdog.idle_window(Some(3)).expect("two idle windows with 3 ready");
        assert!(why.contains("3 messages ready"), "{why}");

        let mut watchdog = StallWatchdog::default();
        assert_eq!(watchdog.idle_window(Some(3)), None);
        watchdog.delivered();
        assert_eq!(watchdog.idle_window(Some(3)), None, "a delivery starts the count again");
        assert_eq!(watchdog.idle_window(Some(0)), None);
        assert_eq!(
            watchdog.idle_window(Some(2)),
            None,
            "an empty queue starts it again too"
        );
        assert!(
            watchdog.idle_window(None).is_some(),
            "a broker that does not answer counts"
        );
    }
}
