//! The Mastodon connection loop: one WebSocket to the streaming API, a `subscribe` /
//! `unsubscribe` per hashtag as the watch list changes, and the reconnect table of
//! docs/sources.md (a failed handshake with an HTTP status counts as an HTTP error, a refused or
//! dropped connection as a network error, a closed stream reconnects at once).
//!
//! We ping every `ping_interval`; any frame (pongs included) proves the connection alive, and
//! none within `silence_timeout` means it is dead.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tm_runtime::Secret;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;

use super::model::status_of;
use crate::backoff::{Disconnect, ReconnectPolicy};
use crate::clock::SharedSleeper;
use crate::delivery::Outbox;
use crate::metrics::SharedMetrics;
use crate::watch::WatchRx;

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// Everything the loop needs.
pub struct MastodonSource {
    /// `wss://<streaming host>/api/v1/streaming`.
    pub url: String,
    pub token: Secret<String>,
    pub silence_timeout: Duration,
    pub ping_interval: Duration,
    pub watch: WatchRx,
    pub outbox: Arc<Outbox>,
    pub metrics: SharedMetrics,
    pub sleeper: SharedSleeper,
}

impl MastodonSource {
    /// Runs until `stop`.
    #[tracing::instrument(name = "mastodon", skip_all, fields(url = %self.url))]
    pub async fn run(self, stop: CancellationToken) {
        self.metrics.mastodon.enabled.store(true, Relaxed);
        let mut policy = ReconnectPolicy::new();
        loop {
            let why = tokio::select! {
                _ = stop.cancelled() => break,
                why = self.session(&mut policy) => why,
            };
            self.metrics.mastodon.connected.store(false, Relaxed);
            self.metrics.mastodon.rules.store(0, Relaxed);
            self.metrics.mastodon.reconnects.fetch_add(1, Relaxed);
            let wait = policy.next_wait(why);
            tracing::info!(?why, wait_ms = wait.as_millis() as u64, "reconnect scheduled");
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = self.sleeper.sleep(wait) => {}
            }
        }
        self.metrics.mastodon.connected.store(false, Relaxed);
    }

    async fn session(&self, policy: &mut ReconnectPolicy) -> Disconnect {
        let mut request = match self.url.as_str().into_client_request() {
            Ok(r) => r,
            Err(err) => {
                tracing::error!(error = %err, "invalid [mastodon] streaming_url");
                return Disconnect::Http(400);
            }
        };
        match HeaderValue::from_str(&format!("Bearer {}", self.token.expose())) {
            Ok(v) => request.headers_mut().insert("authorization", v),
            Err(_) => {
                tracing::error!("the [mastodon] access_token contains invalid characters");
                return Disconnect::Http(401);
            }
        };
        let connected = tokio::time::timeout(HANDSHAKE_TIMEOUT, tokio_tungstenite::connect_async(request)).await;
        let mut ws = match connected {
            Err(_) => return Disconnect::Network,
            Ok(Ok((ws, _))) => ws,
            Ok(Err(WsError::Http(resp))) => {
                let status = resp.status().as_u16();
                if matches!(status, 401 | 403) {
                    tracing::error!(
                        status,
                        "Mastodon refused the token: a user token with read:statuses is needed"
                    );
                } else {
                    tracing::warn!(status, "streaming handshake failed");
                }
                return Disconnect::Http(status);
            }
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "cannot reach the streaming server");
                return Disconnect::Network;
            }
        };
        policy.connected();
        self.metrics.mastodon.connected.store(true, Relaxed);
        tracing::info!("streaming connected");

        let mut watch = self.watch.clone();
        let mut subscribed: BTreeSet<String> = BTreeSet::new();
        let mut ping = tokio::time::interval(self.ping_interval);
        ping.reset();
        let mut last_seen = Instant::now();
        loop {
            let wanted = watch.borrow_and_update().all_tags();
            if wanted != subscribed {
                if let Err(err) = self.sync(&mut ws, &mut subscribed, wanted).await {
                    tracing::warn!(error = %err, "subscription update failed");
                    return Disconnect::Network;
                }
            }
            tokio::select! {
                changed = watch.changed() => if changed.is_err() { return Disconnect::StreamEnded },
                _ = ping.tick() => {
                    if ws.send(Message::Ping(Vec::new().into())).await.is_err() {
                        return Disconnect::Network;
                    }
                }
                _ = tokio::time::sleep_until(last_seen + self.silence_timeout) => {
                    tracing::warn!(timeout = ?self.silence_timeout, "streaming connection silent; reconnecting");
                    return Disconnect::Network;
                }
                frame = ws.next() => {
                    last_seen = Instant::now();
                    match frame {
                        None | Some(Ok(Message::Close(_))) => {
                            tracing::info!("the server closed the stream");
                            return Disconnect::StreamEnded;
                        }
                        Some(Err(err)) => {
                            tracing::warn!(error = %err, "streaming connection lost");
                            return Disconnect::Network;
                        }
                        Some(Ok(Message::Text(text))) => self.handle(text.as_str()),
                        Some(Ok(_)) => {}
                    }
                }
            }
        }
    }

    async fn sync<S>(
        &self,
        ws: &mut S,
        subscribed: &mut BTreeSet<String>,
        wanted: BTreeSet<String>,
    ) -> Result<(), WsError>
    where
        S: SinkExt<Message, Error = WsError> + Unpin,
    {
        for tag in subscribed.difference(&wanted) {
            let msg = serde_json::json!({"type": "unsubscribe", "stream": "hashtag", "tag": tag});
            ws.feed(Message::Text(msg.to_string().into())).await?;
            tracing::info!(tag = %tag, "unsubscribed");
        }
        for tag in wanted.difference(subscribed) {
            let msg = serde_json::json!({"type": "subscribe", "stream": "hashtag", "tag": tag});
            ws.feed(Message::Text(msg.to_string().into())).await?;
            tracing::info!(tag = %tag, "subscribed");
        }
        ws.flush().await?;
        self.metrics.mastodon.rules.store(wanted.len() as u64, Relaxed);
        *subscribed = wanted;
        Ok(())
    }

    fn handle(&self, text: &str) {
        match status_of(text) {
            Ok(None) => {}
            Ok(Some((status, stream_tag))) => {
                let id = status.id.clone();
                let watch = self.watch.borrow().clone();
                match status.into_item(stream_tag, &watch) {
                    Some(item) => {
                        tracing::debug!(status_id = %id, rooms = ?item.room_ids, "status matched");
                        self.metrics.mastodon.item_seen();
                        self.outbox.push(item);
                    }
                    None => tracing::debug!(status_id = %id, "status matched no room"),
                }
            }
            Err(err) => tracing::warn!(error = %err, "skipping an undecodable streaming frame"),
        }
    }
}
