//! The confirmed publisher.
//!
//! Every message is persistent (delivery mode 2) and carries the envelope id as `message_id`.
//! The channel is in confirm mode and [`Publisher::publish`] returns only after the broker's
//! ack. Commands are published `mandatory`, so a command no queue is bound for comes back as
//! [`PublishError::Returned`] instead of vanishing. Events are not mandatory: an event for a
//! room no gateway listens to is normal.
//!
//! One attempt never reports success for a message the broker did not confirm: a nack, a
//! return, a lost connection or a missing confirm is an `Err`. [`Publisher::publish_retrying`]
//! retries across outages until the broker confirms, so a message may reach the broker more
//! than once; consumers deduplicate on the message id.
//!
//! [`Publisher::publish_batch_raw`] pipelines a batch: it sends every message in order on one
//! channel (awaiting each send, not each confirm), then awaits all the confirms. AMQP keeps a
//! channel's messages in order, so the broker receives the batch in slice order; each message
//! still gets its own result, with the same rule: `Ok` only for a confirmed message.

use std::sync::Arc;

use futures_util::future::join_all;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::{BasicProperties, Channel, Confirmation};
use tm_core::event::{Envelope, Event};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::bus::{pause, Bus};
use crate::error::PublishError;
use crate::names::Exchange;

/// Publishes with confirms. Clone it freely: clones share one channel.
#[derive(Clone)]
pub struct Publisher {
    bus: Bus,
    channel: Arc<Mutex<Option<(u64, Channel)>>>,
}

impl Publisher {
    pub(crate) fn new(bus: Bus) -> Self {
        Publisher {
            bus,
            channel: Arc::new(Mutex::new(None)),
        }
    }

    /// One confirmed attempt. `Ok` means the broker has the message (and, for a command, has
    /// routed it to a queue).
    pub async fn publish<E: Event>(&self, env: &Envelope<E>) -> Result<(), PublishError> {
        let body = env.to_json()?;
        let exchange = Exchange::from(E::ROUTING);
        self.publish_raw(exchange, &env.routing_key(), &env.id.to_string(), &body)
            .await
    }

    /// One confirmed attempt with bytes already encoded (the CMS relay publishes the JSON it
    /// stored in its event log).
    pub async fn publish_raw(
        &self,
        exchange: Exchange,
        routing_key: &str,
        message_id: &str,
        body: &[u8],
    ) -> Result<(), PublishError> {
        if self.bus.is_closed() {
            return Err(PublishError::Closed);
        }
        let timeout = self.bus.inner.cfg.confirm_timeout();
        let attempt = self.attempt(exchange, routing_key, message_id, body);
        match tokio::time::timeout(timeout, attempt).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => {
                self.forget_channel_on(&err).await;
                Err(err)
            }
            Err(_) => {
                // The channel may be wedged; a fresh one costs little.
                *self.channel.lock().await = None;
                Err(PublishError::Timeout(timeout))
            }
        }
    }

    /// Publishes until the broker confirms, retrying across outages and recoveries with
    /// jittered, capped backoff. Returns `Err` only if `until` is cancelled, the bus is closed,
    /// or the envelope cannot be encoded.
    pub async fn publish_retrying<E: Event>(
        &self,
        env: &Envelope<E>,
        until: &CancellationToken,
    ) -> Result<(), PublishError> {
        let body = env.to_json()?;
        let exchange = Exchange::from(E::ROUTING);
        let (key, id) = (env.routing_key(), env.id.to_string());
        let mut backoff = self.bus.backoff();
        loop {
            let attempt = tokio::select! {
                _ = until.cancelled() => return Err(PublishError::Cancelled),
                res = self.publish_raw(exchange, &key, &id, &body) => res,
            };
            match attempt {
                Ok(()) => return Ok(()),
                Err(err) if err.is_retryable() => {
                    let delay = backoff.next_delay();
                    tracing::warn!(error = %err, message_id = %id, routing_key = %key, ?delay,
                        "publish not confirmed; retrying");
                    if matches!(err, PublishError::Disconnected) {
                        // Wait for the link rather than spin; still bounded by `until`.
                        match self.bus.live_link_until(until).await {
                            None => return Err(PublishError::Cancelled),
                            Some(Err(_)) => return Err(PublishError::Closed),
                            Some(Ok(_)) => continue,
                        }
                    }
                    if !pause(delay, until).await {
                        return Err(PublishError::Cancelled);
                    }
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// One confirmed attempt for each message of a batch, pipelined: every `basic_publish` is
    /// issued in slice order on one channel (each send awaited, not its confirm), then all the
    /// confirms are awaited. Messages are `(routing_key, message_id, body)`.
    ///
    /// Returns one result per message, in slice order; `Ok` means the broker confirmed that
    /// message. The whole batch shares one deadline of the confirm timeout. If a send fails,
    /// that message gets the error and every later one [`PublishError::NotSent`]: nothing is
    /// sent after a failed send. A later message can still be confirmed while an earlier one
    /// is not (a nack, a confirm lost in a cut), so a caller that needs order stops at the
    /// first error. A timeout or a broken channel makes the next publish open a fresh
    /// channel, as with [`Publisher::publish_raw`].
    pub async fn publish_batch_raw(
        &self,
        exchange: Exchange,
        messages: &[(&str, &str, &[u8])],
    ) -> Vec<Result<(), PublishError>> {
        if messages.is_empty() {
            return Vec::new();
        }
        if self.bus.is_closed() {
            return messages.iter().map(|_| Err(PublishError::Closed)).collect();
        }
        let timeout = self.bus.inner.cfg.confirm_timeout();
        let deadline = tokio::time::Instant::now() + timeout;
        let mut results: Vec<Result<(), PublishError>> = Vec::with_capacity(messages.len());

        let channel = match tokio::time::timeout_at(deadline, self.channel()).await {
            Ok(Ok(channel)) => Some(channel),
            Ok(Err(err)) => {
                results.push(Err(err));
                None
            }
            Err(_) => {
                results.push(Err(PublishError::Timeout(timeout)));
                None
            }
        };

        // Send phase: strictly in order, one send at a time; stop at the first failure.
        let exchange_name = self.bus.names().exchange(exchange);
        let mut pending = Vec::with_capacity(messages.len());
        if let Some(channel) = &channel {
            let mandatory = exchange == Exchange::Commands;
            for (routing_key, message_id, body) in messages {
                let props = BasicProperties::default()
                    .with_delivery_mode(2)
                    .with_content_type("application/json".into())
                    .with_message_id((*message_id).into());
                let send = channel.basic_publish(
                    exchange_name.clone().into(),
                    (*routing_key).into(),
                    BasicPublishOptions {
                        mandatory,
                        ..Default::default()
                    },
                    body,
                    props,
                );
                match tokio::time::timeout_at(deadline, send).await {
                    Ok(Ok(confirm)) => pending.push(confirm),
                    Ok(Err(err)) => {
                        results.push(Err(err.into()));
                        break;
                    }
                    Err(_) => {
                        results.push(Err(PublishError::Timeout(timeout)));
                        break;
                    }
                }
            }
        }

        // Confirm phase: every sent message's confirm, within the same deadline.
        let confirms = join_all(pending.into_iter().zip(messages).map(|(confirm, (routing_key, _, _))| {
            let exchange_name = &exchange_name;
            async move {
                match tokio::time::timeout_at(deadline, confirm).await {
                    Ok(Ok(confirmation)) => confirmation_result(confirmation, exchange_name, routing_key),
                    Ok(Err(err)) => Err(PublishError::from(err)),
                    Err(_) => Err(PublishError::Timeout(timeout)),
                }
            }
        }))
        .await;
        // The sent messages come first; a failed send (if any) is already in `results`.
        let send_failure = results.pop();
        results.extend(confirms);
        results.extend(send_failure);
        while results.len() < messages.len() {
            results.push(Err(PublishError::NotSent));
        }

        if results.iter().any(|r| matches!(r, Err(PublishError::Timeout(_)))) {
            // The channel may be wedged; a fresh one costs little.
            *self.channel.lock().await = None;
        } else if let Some(Err(err)) = results
            .iter()
            .find(|r| matches!(r, Err(e) if !matches!(e, PublishError::NotSent)))
        {
            self.forget_channel_on(err).await;
        }
        results
    }

    async fn attempt(
        &self,
        exchange: Exchange,
        routing_key: &str,
        message_id: &str,
        body: &[u8],
    ) -> Result<(), PublishError> {
        let channel = self.channel().await?;
        let mandatory = exchange == Exchange::Commands;
        let props = BasicProperties::default()
            .with_delivery_mode(2)
            .with_content_type("application/json".into())
            .with_message_id(message_id.into());
        let exchange_name = self.bus.names().exchange(exchange);
        let confirm = channel
            .basic_publish(
                exchange_name.clone().into(),
                routing_key.into(),
                BasicPublishOptions {
                    mandatory,
                    ..Default::default()
                },
                body,
                props,
            )
            .await?
            .await?;
        confirmation_result(confirm, &exchange_name, routing_key)
    }

    /// The confirm-mode channel for the current connection, opened on first use after a
    /// (re)connect.
    async fn channel(&self) -> Result<Channel, PublishError> {
        let mut slot = self.channel.lock().await;
        let (generation, conn) = {
            let link = self.bus.inner.state.borrow();
            match link.live() {
                Some(conn) => (link.generation, conn),
                None => return Err(PublishError::Disconnected),
            }
        };
        if let Some((gen, ch)) = slot.as_ref() {
            if *gen == generation && ch.status().connected() {
                return Ok(ch.clone());
            }
        }
        let ch = conn.create_channel().await?;
        ch.confirm_select(ConfirmSelectOptions::default()).await?;
        *slot = Some((generation, ch.clone()));
        Ok(ch)
    }

    async fn forget_channel_on(&self, err: &PublishError) {
        // A returned message leaves the channel healthy; anything else may not have. A nack
        // also retires the channel: the broker keeps per-channel state for each quorum queue
        // it routes to (which member leads it), and after that leader's node died a channel
        // that was publishing to it can go on nacking every publish while a fresh channel on
        // the same node delivers to the new leader (seen with a three-node cluster, RabbitMQ
        // 3.10, the leader's node killed -9).
        if matches!(err, PublishError::Returned { .. }) {
            return;
        }
        let mut slot = self.channel.lock().await;
        let retire = matches!(err, PublishError::Nacked);
        if slot.as_ref().is_some_and(|(_, ch)| retire || !ch.status().connected()) {
            if let Some((_, ch)) = slot.take() {
                if retire && ch.status().connected() {
                    let _ = ch.close(200, "retired after a nack".into()).await;
                }
            }
        }
    }
}

/// `Ok` only for a plain ack; a returned, nacked or unrequested confirmation is an error.
fn confirmation_result(confirm: Confirmation, exchange_name: &str, routing_key: &str) -> Result<(), PublishError> {
    match confirm {
        Confirmation::Ack(None) => Ok(()),
        Confirmation::Ack(Some(_)) => Err(PublishError::Returned {
            exchange: exchange_name.to_owned(),
            routing_key: routing_key.to_owned(),
        }),
        Confirmation::Nack(_) => Err(PublishError::Nacked),
        // Cannot happen on a confirm-mode channel; treat as unconfirmed, never as sent.
        Confirmation::NotRequested => Err(PublishError::Nacked),
    }
}
