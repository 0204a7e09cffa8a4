//! The Bluesky connection loop: one WebSocket to a Jetstream endpoint with
//! `wantedCollections=app.bsky.feed.post`, failing over to the next configured endpoint after a
//! failed or lost connection, and the same reconnect table as the other sources.
//!
//! Nothing is missed across reconnects: the cursor (`time_us` of the last frame handled) is kept
//! in memory and, with a state directory, on disk; a new connection asks Jetstream to replay from
//! `rewind` before it (instances assign `time_us` themselves, so after a failover the same event
//! has a slightly different time), and the posts already delivered are dropped by AT URI.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;

use super::model::{Action, Filter, POST_COLLECTION};
use super::state::CursorStore;
use crate::backoff::{Disconnect, ReconnectPolicy};
use crate::clock::SharedSleeper;
use crate::delivery::Outbox;
use crate::metrics::SharedMetrics;
use crate::watch::WatchRx;

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// Everything the loop needs.
pub struct BlueskySource {
    /// Jetstream `subscribe` URLs, e.g. `wss://jetstream1.us-east.bsky.network/subscribe`; tried
    /// in order, the next one after a failure.
    pub endpoints: Vec<String>,
    /// How far before the cursor a reconnect asks to replay.
    pub rewind: Duration,
    pub silence_timeout: Duration,
    pub ping_interval: Duration,
    /// How often the cursor is written to the state directory (and the delivered list, if new
    /// posts were delivered).
    pub save_interval: Duration,
    pub handle_cache: usize,
    pub delivered_memory: usize,
    pub store: CursorStore,
    pub watch: WatchRx,
    pub outbox: Arc<Outbox>,
    pub metrics: SharedMetrics,
    pub sleeper: SharedSleeper,
}

/// What survives a reconnect.
struct Progress {
    filter: Filter,
    cursor: Option<i64>,
    saved_cursor: Option<i64>,
    delivered_dirty: bool,
}

impl BlueskySource {
    /// Runs until `stop`.
    #[tracing::instrument(name = "bluesky", skip_all, fields(endpoints = self.endpoints.len()))]
    pub async fn run(self, stop: CancellationToken) {
        self.metrics.bluesky.enabled.store(true, Relaxed);
        let cursor = self.store.load_cursor();
        let mut progress = Progress {
            filter: Filter::new(self.handle_cache, self.delivered_memory).with_delivered(self.store.load_delivered()),
            cursor,
            saved_cursor: cursor,
            delivered_dirty: false,
        };
        if let Some(c) = cursor {
            self.metrics.bluesky_cursor_us.store(c, Relaxed);
        }
        let mut policy = ReconnectPolicy::new();
        let mut endpoint = 0;
        loop {
            let url = self.subscribe_url(endpoint, progress.cursor);
            let why = tokio::select! {
                _ = stop.cancelled() => break,
                why = self.session(&url, &mut policy, &mut progress) => why,
            };
            self.save(&mut progress);
            self.metrics.bluesky.connected.store(false, Relaxed);
            self.metrics.bluesky.reconnects.fetch_add(1, Relaxed);
            if why != Disconnect::StreamEnded && self.endpoints.len() > 1 {
                endpoint = (endpoint + 1) % self.endpoints.len();
                tracing::info!(next = %self.endpoints[endpoint], "failing over to the next Jetstream endpoint");
            }
            let wait = policy.next_wait(why);
            tracing::info!(?why, wait_ms = wait.as_millis() as u64, "reconnect scheduled");
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = self.sleeper.sleep(wait) => {}
            }
        }
        self.save(&mut progress);
        self.metrics.bluesky.connected.store(false, Relaxed);
    }

    /// The endpoint's URL with the collection filter and, once a cursor is known, the rewound
    /// cursor.
    pub fn subscribe_url(&self, endpoint: usize, cursor: Option<i64>) -> String {
        let base = self.endpoints.get(endpoint).map(String::as_str).unwrap_or_default();
        let sep = if base.contains('?') { '&' } else { '?' };
        let mut url = format!("{base}{sep}wantedCollections={POST_COLLECTION}");
        if let Some(cursor) = cursor {
            let rewind = i64::try_from(self.rewind.as_micros()).unwrap_or(i64::MAX);
            url.push_str(&format!("&cursor={}", cursor.saturating_sub(rewind).max(0)));
        }
        url
    }

    #[tracing::instrument(name = "connection", skip_all, fields(url = %url))]
    async fn session(&self, url: &str, policy: &mut ReconnectPolicy, progress: &mut Progress) -> Disconnect {
        let request = match url.into_client_request() {
            Ok(r) => r,
            Err(err) => {
                tracing::error!(error = %err, "invalid [bluesky] endpoint");
                return Disconnect::Http(400);
            }
        };
        let connected = tokio::time::timeout(HANDSHAKE_TIMEOUT, tokio_tungstenite::connect_async(request)).await;
        let mut ws = match connected {
            Err(_) => return Disconnect::Network,
            Ok(Ok((ws, _))) => ws,
            Ok(Err(WsError::Http(resp))) => {
                let status = resp.status().as_u16();
                tracing::warn!(status, "Jetstream handshake failed");
                return Disconnect::Http(status);
            }
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "cannot reach Jetstream");
                return Disconnect::Network;
            }
        };
        policy.connected();
        self.metrics.bluesky.connected.store(true, Relaxed);
        tracing::info!("Jetstream connected");

        let mut ping = tokio::time::interval(self.ping_interval);
        ping.reset();
        let mut save = tokio::time::interval(self.save_interval);
        save.reset();
        let mut last_seen = Instant::now();
        loop {
            tokio::select! {
                _ = ping.tick() => {
                    if ws.send(Message::Ping(Vec::new().into())).await.is_err() {
                        return Disconnect::Network;
                    }
                }
                _ = save.tick() => self.save(progress),
                _ = tokio::time::sleep_until(last_seen + self.silence_timeout) => {
                    tracing::warn!(timeout = ?self.silence_timeout, "Jetstream silent; reconnecting");
                    return Disconnect::Network;
                }
                frame = ws.next() => {
                    last_seen = Instant::now();
                    match frame {
                        None | Some(Ok(Message::Close(_))) => {
                            tracing::info!("Jetstream closed the stream");
                            return Disconnect::StreamEnded;
                        }
                        Some(Err(err)) => {
                            tracing::warn!(error = %err, "Jetstream connection lost");
                            return Disconnect::Network;
                        }
                        Some(Ok(Message::Text(text))) => self.handle(text.as_str(), progress),
                        Some(Ok(_)) => {}
                    }
                }
            }
        }
    }

    fn handle(&self, text: &str, progress: &mut Progress) {
        self.metrics.bluesky_frames.fetch_add(1, Relaxed);
        let watch = self.watch.borrow().clone();
        let seen = match progress.filter.handle(text, &watch) {
            Ok(seen) => seen,
            Err(err) => {
                tracing::warn!(error = %err, "skipping an undecodable Jetstream frame");
                return;
            }
        };
        // A replay after a reconnect starts before the cursor: never move it backwards.
        if progress.cursor.is_none_or(|c| seen.time_us > c) {
            progress.cursor = Some(seen.time_us);
            self.metrics.bluesky_cursor_us.store(seen.time_us, Relaxed);
        }
        match seen.action {
            Action::Nothing => {}
            Action::Item(item) => {
                tracing::debug!(uri = %item.external_id, rooms = ?item.room_ids, "post matched");
                self.metrics.bluesky.item_seen();
                progress.delivered_dirty = true;
                self.outbox.push(item);
            }
            Action::Retract(retract) => {
                tracing::info!(uri = %retract.external_id, "a delivered post was deleted upstream");
                self.metrics.bluesky_retracts.fetch_add(1, Relaxed);
                progress.delivered_dirty = true;
                self.outbox.push_retract(retract);
            }
        }
    }

    fn save(&self, progress: &mut Progress) {
        self.metrics
            .bluesky
            .rules
            .store(self.watch.borrow().all_tags().len() as u64, Relaxed);
        if progress.cursor != progress.saved_cursor {
            if let Some(cursor) = progress.cursor {
                self.store.save_cursor(cursor);
                progress.saved_cursor = Some(cursor);
            }
        }
        if progress.delivered_dirty {
            self.store.save_delivered(progress.filter.delivered().iter());
            progress.delivered_dirty = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::OutboxLimits;

    fn source(endpoints: &[&str]) -> BlueskySource {
        let metrics = SharedMetrics::default();
        BlueskySource {
            endpoints: endpoints.iter().map(|e| e.to_string()).collect(),
            rewind: Duration::from_secs(5),
            silence_timeout: Duration::from_secs(60),
            ping_interval: Duration::from_secs(30),
            save_interval: Duration::from_secs(1),
            handle_cache: 10,
            delivered_memory: 10,
            store: CursorStore::new(None),
            watch: crate::watch::channel(Default::default()).1,
            outbox: Outbox::new(
                OutboxLimits {
                    capacity: 10,
                    recent_ids: 10,
                },
                metrics.clone(),
            ),
            metrics,
            sleeper: crate::clock::tokio_sleeper(),
        }
    }

    #[test]
    fn the_url_asks_for_posts_only_and_rewinds_the_cursor() {
        let s = source(&[
            "wss://jetstream1.us-east.bsky.network/subscribe",
            "ws://127.0.0.1:9/subscribe?compress=false",
        ]);
        assert_eq!(
            s.subscribe_url(0, None),
            "wss://jetstream1.us-east.bsky.network/subscribe?wantedCollections=app.bsky.feed.post"
        );
        assert_eq!(
            s.subscribe_url(1, Some(1_764_000_010_000_000)),
            "ws://127.0.0.1:9/subscribe?compress=false&wantedCollections=app.bsky.feed.post&cursor=1764000005000000"
        );
    }
}
