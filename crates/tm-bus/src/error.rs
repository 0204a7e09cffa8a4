//! Errors of the bus, by who sees them.
//!
//! Policy: a publish that is not confirmed by the broker is an error, never a success:
//! [`PublishError`] covers nacks, returns (unroutable commands), lost connections and confirm
//! timeouts. A timeout or a lost connection leaves the outcome unknown (the broker may have the
//! message): callers retry and consumers are idempotent on the message id. [`BusError`] is for
//! setup and subscriptions. [`HandleError`] is what a consumer's handler returns to say whether
//! the message should be retried (transient) or dead-lettered (poison). lapin's error type is
//! wrapped in [`AmqpError`] so no other crate needs to know lapin.

use std::fmt;
use std::time::Duration;

/// An error from the AMQP client library, kept opaque.
#[derive(Debug)]
pub struct AmqpError(pub(crate) lapin::Error);

impl fmt::Display for AmqpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for AmqpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// Setting up the bus, consuming or managing a subscription failed.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("invalid AMQP URL: {0}")]
    InvalidUrl(String),
    #[error("bus TLS CA file: {0}")]
    TlsCaFile(String),
    #[error("not connected to the broker")]
    Disconnected,
    #[error("broker unreachable: {0}")]
    Unreachable(String),
    #[error("the bus was closed")]
    Closed,
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("the broker did not answer {what} within {after:?}")]
    Timeout { what: &'static str, after: Duration },
    #[error("AMQP error: {0}")]
    Amqp(#[from] AmqpError),
}

impl From<lapin::Error> for BusError {
    fn from(err: lapin::Error) -> Self {
        BusError::Amqp(AmqpError(err))
    }
}

/// A message was not confirmed by the broker. Never returned for a message the broker acked.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("not connected to the broker")]
    Disconnected,
    #[error("the broker refused the message (nack)")]
    Nacked,
    #[error("no queue is bound for routing key {routing_key} on {exchange}; message returned")]
    Returned { exchange: String, routing_key: String },
    #[error("no confirm from the broker within {0:?}; outcome unknown")]
    Timeout(Duration),
    #[error("could not encode the envelope: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("cancelled before the broker confirmed")]
    Cancelled,
    #[error("the bus was closed")]
    Closed,
    /// In a batch: not sent, because an earlier message of the batch could not be sent.
    #[error("not sent: an earlier message of the batch failed")]
    NotSent,
    #[error("AMQP error: {0}")]
    Amqp(#[from] AmqpError),
}

impl From<lapin::Error> for PublishError {
    fn from(err: lapin::Error) -> Self {
        PublishError::Amqp(AmqpError(err))
    }
}

impl PublishError {
    /// Whether trying again later may succeed (everything but encoding, cancel and close).
    pub fn is_retryable(&self) -> bool {
        !matches!(
            self,
            PublishError::Encode(_) | PublishError::Cancelled | PublishError::Closed
        )
    }
}

/// What a [`crate::Handler`] reports when it did not process a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandleError {
    /// Could work later (database down, lock timeout): the same delivery is handed to the
    /// handler again after a jittered, capped backoff. It is never rejected or dead-lettered.
    #[error("transient: {0}")]
    Transient(String),
    /// Could work later, but the trouble is this message's own (a deadlock, a lock wait
    /// timeout on one room's row): after a few retries in place it is moved to the back of its
    /// queue (republished, confirmed, then acked), so the messages behind it are not held up.
    #[error("contended: {0}")]
    Contended(String),
    /// Can never be processed (invalid content): rejected without requeue, so the broker
    /// dead-letters it to `tm.dead.<queue>`.
    #[error("poison: {0}")]
    Poison(String),
}

impl HandleError {
    pub fn transient(err: impl fmt::Display) -> Self {
        HandleError::Transient(err.to_string())
    }

    pub fn contended(err: impl fmt::Display) -> Self {
        HandleError::Contended(err.to_string())
    }

    pub fn poison(err: impl fmt::Display) -> Self {
        HandleError::Poison(err.to_string())
    }
}
