//! Between the sources and the broker: a bounded buffer that never blocks a source, a memory
//! of recently seen ids, and one task that publishes with broker confirms.
//!
//! Sources call [`Outbox::push`] and move on. While the broker is away the buffer fills; at
//! capacity it drops the oldest item (a live room wants the newest posts), counts it and warns.
//! Each item is wrapped in its envelope once, so a retried publish keeps its message id and
//! the CMS can dedupe on it as well as on (source, external id). Items already seen recently
//! are not queued again: reconnects replay a few, and there is no point sending them twice.
//! Retractions (`ingest.retract`, a source deleted a post it delivered) travel through the same
//! buffer, in order, so a retract is never published before the item it retracts.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::future::BoxFuture;
use tm_core::event::{IngestItem, IngestRetract, IngestSource};
use tm_core::Envelope;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::metrics::SharedMetrics;

/// One command waiting in the buffer, wrapped in its envelope once.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    Item(Envelope<IngestItem>),
    Retract(Envelope<IngestRetract>),
}

impl Outgoing {
    pub fn id(&self) -> Uuid {
        match self {
            Outgoing::Item(env) => env.id,
            Outgoing::Retract(env) => env.id,
        }
    }

    pub fn external_id(&self) -> &str {
        match self {
            Outgoing::Item(env) => &env.payload.external_id,
            Outgoing::Retract(env) => &env.payload.external_id,
        }
    }
}

/// Publishes one command and waits for the broker's confirm. `Err` = not confirmed.
pub trait ItemPublisher: Send + Sync + 'static {
    fn publish<'a>(&'a self, cmd: &'a Outgoing) -> BoxFuture<'a, Result<(), String>>;
}

/// Outbox sizes.
#[derive(Debug, Clone, Copy)]
pub struct OutboxLimits {
    pub capacity: usize,
    pub recent_ids: usize,
}

/// Which command about which external post: an item and its retraction are different keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Item(IngestSource, String),
    Retract(IngestSource, String),
}

struct State {
    queue: VecDeque<Outgoing>,
    recent: VecDeque<Key>,
    recent_set: HashSet<Key>,
}

/// The bounded buffer plus recent-id memory. Cheap to share (`Arc`).
pub struct Outbox {
    state: Mutex<State>,
    notify: Notify,
    limits: OutboxLimits,
    metrics: SharedMetrics,
}

impl Outbox {
    pub fn new(limits: OutboxLimits, metrics: SharedMetrics) -> Arc<Self> {
        Arc::new(Outbox {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                recent: VecDeque::new(),
                recent_set: HashSet::new(),
            }),
            notify: Notify::new(),
            limits: OutboxLimits {
                capacity: limits.capacity.max(1),
                recent_ids: limits.recent_ids.max(1),
            },
            metrics,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the queue half-updated in a way that
        // matters more than losing the process; keep going with what is there.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues an item; returns false if it was seen recently and skipped.
    pub fn push(&self, item: IngestItem) -> bool {
        let key = Key::Item(item.source, item.external_id.clone());
        self.enqueue(key, || Outgoing::Item(Envelope::new(crate::SERVICE, item)))
    }

    /// Queues a retraction (behind every item queued before it); false if queued recently.
    pub fn push_retract(&self, retract: IngestRetract) -> bool {
        let key = Key::Retract(retract.source, retract.external_id.clone());
        self.enqueue(key, || Outgoing::Retract(Envelope::new(crate::SERVICE, retract)))
    }

    fn enqueue(&self, key: Key, command: impl FnOnce() -> Outgoing) -> bool {
        {
            let mut st = self.lock();
            if st.recent_set.contains(&key) {
                self.metrics.duplicates_skipped.fetch_add(1, Relaxed);
                tracing::debug!(key = ?key, "skipping a command queued recently");
                return false;
            }
            st.recent.push_back(key.clone());
            st.recent_set.insert(key);
            while st.recent.len() > self.limits.recent_ids {
                if let Some(old) = st.recent.pop_front() {
                    st.recent_set.remove(&old);
                }
            }
            if st.queue.len() >= self.limits.capacity {
                if let Some(dropped) = st.queue.pop_front() {
                    self.metrics.buffer_dropped.fetch_add(1, Relaxed);
                    tracing::warn!(
                        capacity = self.limits.capacity,
                        dropped_id = %dropped.external_id(),
                        "delivery buffer full (broker away?): dropped the oldest item"
                    );
                }
            }
            st.queue.push_back(command());
            self.metrics.buffered.store(st.queue.len() as u64, Relaxed);
        }
        self.notify.notify_one();
        true
    }

    pub fn len(&self) -> usize {
        self.lock().queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn front(&self) -> Option<Outgoing> {
        self.lock().queue.front().cloned()
    }

    fn pop_sent(&self, id: Uuid) {
        let mut st = self.lock();
        if st.queue.front().map(Outgoing::id) == Some(id) {
            st.queue.pop_front();
        }
        self.metrics.buffered.store(st.queue.len() as u64, Relaxed);
    }

    /// Publishes queued items in order until `stop`; then tries to flush for `drain` more.
    pub async fn deliver(
        self: Arc<Self>,
        publisher: Arc<dyn ItemPublisher>,
        retry: Duration,
        drain: Duration,
        stop: CancellationToken,
    ) {
        self.deliver_until(&publisher, retry, &stop, false).await;
        if self.is_empty() {
            return;
        }
        tracing::info!(buffered = self.len(), "draining the delivery buffer before exit");
        let never = CancellationToken::new();
        let _ = tokio::time::timeout(drain, self.deliver_until(&publisher, retry, &never, true)).await;
        if !self.is_empty() {
            tracing::warn!(lost = self.len(), "exiting with undelivered items");
        }
    }

    /// Publishes until `stop`, or (when `until_empty`) until the buffer is empty.
    async fn deliver_until(
        &self,
        publisher: &Arc<dyn ItemPublisher>,
        retry: Duration,
        stop: &CancellationToken,
        until_empty: bool,
    ) {
        loop {
            let Some(env) = self.front() else {
                if until_empty {
                    return;
                }
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = self.notify.notified() => continue,
                }
            };
            let result = tokio::select! {
                _ = stop.cancelled() => return,
                r = publisher.publish(&env) => r,
            };
            match result {
                Ok(()) => {
                    self.metrics.published.fetch_add(1, Relaxed);
                    tracing::debug!(external_id = %env.external_id(), "command confirmed");
                    self.pop_sent(env.id());
                }
                Err(err) => {
                    self.metrics.publish_failures.fetch_add(1, Relaxed);
                    tracing::warn!(error = %err, buffered = self.len(), "command not confirmed; will retry");
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tokio::time::sleep(retry) => {}
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;

    fn item(id: &str) -> IngestItem {
        IngestItem {
            source: IngestSource::Twitter,
            external_id: id.to_owned(),
            room_ids: vec![1],
            author: "@a".into(),
            text: "t".into(),
            url: "u".into(),
            posted_at: OffsetDateTime::UNIX_EPOCH,
            author_id: None,
        }
    }

    fn ids(outbox: &Outbox) -> Vec<String> {
        outbox.lock().queue.iter().map(|e| e.external_id().to_owned()).collect()
    }

    #[test]
    fn a_full_buffer_drops_the_oldest_and_counts_it() {
        let metrics = SharedMetrics::default();
        let outbox = Outbox::new(
            OutboxLimits {
                capacity: 2,
                recent_ids: 10,
            },
            metrics.clone(),
        );
        for id in ["1", "2", "3"] {
            assert!(outbox.push(item(id)));
        }
        assert_eq!(ids(&outbox), vec!["2", "3"]);
        assert_eq!(metrics.buffer_dropped.load(Relaxed), 1);
        assert_eq!(metrics.buffered.load(Relaxed), 2);
    }

    #[test]
    fn recently_seen_ids_are_not_queued_again_until_forgotten() {
        let metrics = SharedMetrics::default();
        let outbox = Outbox::new(
            OutboxLimits {
                capacity: 10,
                recent_ids: 2,
            },
            metrics.clone(),
        );
        assert!(outbox.push(item("1")));
        assert!(!outbox.push(item("1")), "a replay after a reconnect");
        let mut other_source = item("1");
        other_source.source = IngestSource::Mastodon;
        assert!(outbox.push(other_source), "ids are per source");
        assert!(outbox.push(item("2")));
        assert!(
            outbox.push(item("1")),
            "the memory is bounded: the oldest id was forgotten"
        );
        assert_eq!(metrics.duplicates_skipped.load(Relaxed), 1);
    }

    #[test]
    fn a_retraction_queues_behind_its_item_and_is_not_a_duplicate_of_it() {
        let metrics = SharedMetrics::default();
        let outbox = Outbox::new(
            OutboxLimits {
                capacity: 10,
                recent_ids: 10,
            },
            metrics.clone(),
        );
        assert!(outbox.push(item("at://x/app.bsky.feed.post/1")));
        let retract = IngestRetract {
            source: IngestSource::Twitter,
            external_id: "at://x/app.bsky.feed.post/1".into(),
        };
        assert!(outbox.push_retract(retract.clone()));
        assert!(!outbox.push_retract(retract), "a replayed delete");
        let queued: Vec<bool> = outbox
            .lock()
            .queue
            .iter()
            .map(|c| matches!(c, Outgoing::Retract(_)))
            .collect();
        assert_eq!(queued, vec![false, true]);
    }
}
