//! The relay: publishes unpublished event-log rows to `tm.events`, in id order, with publisher
//! confirms, and marks each row published once the broker confirmed it.
//!
//! * A batch is pipelined: every row of the batch is sent in id order on one channel, then all
//!   the confirms are awaited ([`Publisher::publish_batch_raw`]). Only the longest confirmed
//!   prefix of the batch is marked published, in one `UPDATE ... WHERE id IN (...)`: a row is
//!   never marked without its confirm, nor while an earlier row is unconfirmed.
//! * One active relay across CMS instances: it holds `GET_LOCK('tm.relay.<database>')` on a
//!   dedicated connection (`engine::outbox`, which does the relay's SQL) and checks it still holds it at most once a second
//!   before a batch (a lost connection loses the lock, and fails the batch's statements too). Rows of one room are written under that room's row lock, so their ids
//!   follow commit order and id order is the room's seq order.
//! * A failed publish stops the batch: the first unconfirmed row and every row after it are
//!   retried after a backoff, so nothing is skipped and no row is marked before an earlier one.
//!   Rows after a failed one may already have reached the broker and are then published again,
//!   as is a publish whose confirm was lost; consumers are idempotent on the envelope id and
//!   gateways on the seq.
//! * It wakes on the engine's notify after each commit and polls anyway (rows written by other
//!   instances).

use std::sync::Arc;
use std::time::Duration;

use tm_bus::{Exchange, PublishError, Publisher};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::engine::db::DbError;
use crate::engine::outbox::Outbox;
use crate::metrics::Metrics;

const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How often the relay checks that it still holds its lock and measures its backlog. Once per
/// batch was two statements per post at low rates; the lock lives as long as the connection,
/// and a lost connection fails the next batch's statements anyway.
const CHECK_EVERY: Duration = Duration::from_secs(1);

pub struct Relay {
    pub database_url: String,
    pub publisher: Publisher,
    pub wakeup: Arc<Notify>,
    pub metrics: Arc<Metrics>,
    pub poll_interval: Duration,
    pub batch_size: i64,
}

/// Why a batch ended.
enum Outcome {
    /// Published everything there was.
    Drained,
    /// More rows may be waiting.
    More,
    /// A publish failed: back off, then retry the same row.
    PublishFailed,
}

impl Relay {
    pub async fn run(self, shutdown: CancellationToken) {
        let mut backoff = self.poll_interval.min(Duration::from_millis(100));
        while !shutdown.is_cancelled() {
            match self.hold_lock_and_publish(&shutdown).await {
                Ok(()) => backoff = self.poll_interval.min(Duration::from_millis(100)),
                Err(err) => {
                    tracing::warn!(error = %err, "relay: database trouble; retrying");
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
            self.metrics.relay_active.set(0);
            if !self.pause(backoff, &shutdown).await {
                break;
            }
        }
        tracing::info!("relay stopped");
    }

    /// Returns Ok when another instance holds the lock (try again later) or on shutdown.
    async fn hold_lock_and_publish(&self, shutdown: &CancellationToken) -> Result<(), DbError> {
        let mut outbox = Outbox::connect(&self.database_url).await?;
        if !outbox.try_lock().await? {
            return self.wait_for_turn(shutdown).await;
        }
        tracing::info!("relay: active");
        self.metrics.relay_active.set(1);
        let mut failures: u32 = 0;
        let mut last_check: Option<tokio::time::Instant> = None;
        loop {
            let check = last_check.is_none_or(|at| at.elapsed() >= CHECK_EVERY);
            if check && !outbox.holds_lock().await? {
                tracing::warn!("relay: lost the lock");
                return Ok(());
            }
            let outcome = self.publish_batch(&mut outbox).await?;
            if check {
                self.record_lag(&mut outbox).await?;
                last_check = Some(tokio::time::Instant::now());
            }
            let wait = match outcome {
                Outcome::More => {
                    failures = 0;
                    continue;
                }
                Outcome::Drained => {
                    failures = 0;
                    self.poll_interval
                }
                Outcome::PublishFailed => {
                    failures = failures.saturating_add(1);
                    (Duration::from_millis(100) * 2u32.saturating_pow(failures.min(6))).min(MAX_BACKOFF)
                }
            };
            if !self.pause(wait, shutdown).await {
                return Ok(());
            }
        }
    }

    async fn wait_for_turn(&self, shutdown: &CancellationToken) -> Result<(), DbError> {
        self.pause(self.poll_interval, shutdown).await;
        Ok(())
    }

    async fn publish_batch(&self, outbox: &mut Outbox) -> Result<Outcome, DbError> {
        let rows = outbox.unpublished(self.batch_size).await?;
        let full = rows.len() as i64 == self.batch_size;
        if rows.is_empty() {
            return Ok(Outcome::Drained);
        }
        let messages: Vec<(&str, &str, &[u8])> = rows
            .iter()
            .map(|row| {
                (
                    row.routing_key.as_str(),
                    row.envelope_id.as_str(),
                    row.envelope.as_bytes(),
                )
            })
            .collect();
        let results = self.publisher.publish_batch_raw(Exchange::Events, &messages).await;
        let confirmed = confirmed_prefix(&results);
        let ids: Vec<u64> = rows[..confirmed].iter().map(|row| row.id).collect();
        if !ids.is_empty() {
            outbox.mark_published(&ids).await?;
            self.metrics.relay_published.inc_by(ids.len() as u64);
            tracing::debug!(
                first = ids[0],
                last = ids[ids.len() - 1],
                count = ids.len(),
                "relay: published"
            );
        }
        if let Some(Err(err)) = results.get(confirmed) {
            // Every publish that was attempted and not confirmed; rows never sent are not.
            let failed = results
                .iter()
                .filter(|r| matches!(r, Err(e) if !matches!(e, PublishError::NotSent)))
                .count();
            self.metrics.relay_publish_failures.inc_by(failed.max(1) as u64);
            let event_id = rows[confirmed].id;
            tracing::warn!(error = %err, event_id, failed, "relay: publish not confirmed; will retry from this row");
            return Ok(Outcome::PublishFailed);
        }
        Ok(if full { Outcome::More } else { Outcome::Drained })
    }

    async fn record_lag(&self, outbox: &mut Outbox) -> Result<(), DbError> {
        let backlog = outbox.backlog().await?;
        self.metrics.relay_lag_events.set(backlog.events);
        self.metrics.relay_lag_ms.set(backlog.oldest_ms);
        Ok(())
    }

    /// Waits for a commit, the delay or shutdown; false on shutdown.
    async fn pause(&self, delay: Duration, shutdown: &CancellationToken) -> bool {
        tokio::select! {
            _ = shutdown.cancelled() => false,
            _ = self.wakeup.notified() => true,
            _ = tokio::time::sleep(delay) => true,
        }
    }
}

/// How many leading results are confirmed: the rows that may be marked published.
fn confirmed_prefix<E>(results: &[Result<(), E>]) -> usize {
    results.iter().take_while(|r| r.is_ok()).count()
}

#[cfg(test)]
mod tests {
    use super::confirmed_prefix;

    #[test]
    fn only_the_confirmed_prefix_is_marked() {
        let ok = || Ok::<(), &str>(());
        assert_eq!(confirmed_prefix::<&str>(&[]), 0);
        assert_eq!(confirmed_prefix(&[ok(), ok(), ok()]), 3);
        // A failure stops the prefix even if later publishes were confirmed.
        assert_eq!(confirmed_prefix(&[ok(), ok(), Err("nack"), ok(), ok()]), 2);
        assert_eq!(confirmed_prefix(&[Err("cut"), ok()]), 0);
        assert_eq!(confirmed_prefix(&[ok(), Err("timeout"), Err("not sent")]), 1);
    }
}
