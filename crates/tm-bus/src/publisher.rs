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

use std::sync::Arc;

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
        match confirm {
            Confirmation::Ack(None) => Ok(()),
            Confirmation::Ack(Some(_)) => Err(PublishError::Returned {
                exchange: exchange_name,
                routing_key: routing_key.to_owned(),
            }),
            Confirmation::Nack(_) => Err(PublishError::Nacked),
            // Cannot happen on a confirm-mode channel; treat as unconfirmed, never as sent.
            Confirmation::NotRequested => Err(PublishError::Nacked),
        }
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
        // A returned message leaves the channel healthy; anything else may not have.
        if !matches!(err, PublishError::Returned { .. }) {
            let mut slot = self.channel.lock().await;
            if slot.as_ref().is_some_and(|(_, ch)| !ch.status().connected()) {
                *slot = None;
            }
        }
    }
}
