//! The Twitter source: the stream connection loop (with the reconnect table of docs/sources.md),
//! run side by side with rule reconciliation ([`super::reconcile`]).
//!
//! Rules take effect on an open stream within ~20 s, so changing the watch list never needs a
//! reconnect. The stream runs even before the first watch list arrives: the rules on Twitter's
//! side survive our restarts and their tags name the rooms.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::api::{ApiError, TwitterApi};
use super::model::StreamObject;
use super::rules::RuleLimits;
use super::stream::{Line, LineReader, StreamEnd};
use crate::backoff::{Disconnect, ReconnectPolicy};
use crate::clock::SharedSleeper;
use crate::delivery::Outbox;
use crate::metrics::SharedMetrics;
use crate::watch::WatchRx;

/// Tunables of the Twitter source (from `[twitter]`).
#[derive(Debug, Clone)]
pub struct TwitterTuning {
    pub limits: RuleLimits,
    /// Silence after which the stream is declared dead (20 s per docs/sources.md).
    pub stall_timeout: Duration,
    /// Minimum spacing of rule requests (450 per 15 min → 2 s).
    pub rule_request_interval: Duration,
    /// Quiet time after a watch-list change before reconciling, to batch bursts.
    pub rules_debounce: Duration,
}

/// Everything the loops share.
pub struct TwitterSource {
    pub api: TwitterApi,
    pub tuning: TwitterTuning,
    pub watch: WatchRx,
    pub outbox: Arc<Outbox>,
    pub metrics: SharedMetrics,
    pub sleeper: SharedSleeper,
}

enum Flow {
    Continue,
    Reconnect,
}

impl TwitterSource {
    /// Runs both loops until `stop`.
    pub async fn run(self, stop: CancellationToken) {
        self.metrics.twitter.enabled.store(true, Relaxed);
        tokio::join!(self.stream_loop(&stop), self.rules_loop(&stop));
        self.metrics.twitter.connected.store(false, Relaxed);
    }

    #[tracing::instrument(name = "twitter_stream", skip_all)]
    async fn stream_loop(&self, stop: &CancellationToken) {
        let mut policy = ReconnectPolicy::new();
        loop {
            let why = tokio::select! {
                _ = stop.cancelled() => return,
                why = self.connect_and_read(&mut policy) => why,
            };
            self.metrics.twitter.connected.store(false, Relaxed);
            self.metrics.twitter.reconnects.fetch_add(1, Relaxed);
            let wait = policy.next_wait(why);
            tracing::info!(?why, wait_ms = wait.as_millis() as u64, "stream reconnect scheduled");
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = self.sleeper.sleep(wait) => {}
            }
        }
    }

    async fn connect_and_read(&self, policy: &mut ReconnectPolicy) -> Disconnect {
        // Headers must come as promptly as keep-alives do: a peer that accepts and then says
        // nothing is as dead as a silent stream.
        let opened = tokio::time::timeout(self.tuning.stall_timeout, self.api.open_stream()).await;
        let Ok(opened) = opened else {
            tracing::warn!(timeout = ?self.tuning.stall_timeout, "no response to the stream request");
            return Disconnect::Network;
        };
        let resp = match opened {
            Ok(resp) => resp,
            Err(ApiError::Http { status, body }) => {
                if matches!(status, 401 | 403) {
                    tracing::error!(status, %body, "Twitter refused the bearer token or the app's \
                        access tier (filtered stream needs a paid tier): fix [twitter] bearer_token");
                } else {
                    tracing::warn!(status, %body, "stream connect failed");
                }
                return Disconnect::Http(status);
            }
            Err(err) => {
                tracing::warn!(error = %err, "stream connect failed");
                return Disconnect::Network;
            }
        };
        policy.connected();
        self.metrics.twitter.connected.store(true, Relaxed);
        tracing::info!("stream connected");
        let mut reader = LineReader::new(Box::pin(resp.bytes_stream()), self.tuning.stall_timeout);
        loop {
            match reader.next_line().await {
                Ok(Line::KeepAlive) => tracing::trace!("keep-alive"),
                Ok(Line::Object(bytes)) => {
                    if let Flow::Reconnect = self.handle_object(&bytes) {
                        return Disconnect::StreamEnded;
                    }
                }
                Err(StreamEnd::Closed) => {
                    tracing::info!("the server ended the stream");
                    return Disconnect::StreamEnded;
                }
                // A stall or a broken read is a TCP-level failure (tweepy treats it so too).
                Err(end) => {
                    tracing::warn!(error = %end, "stream lost");
                    return Disconnect::Network;
                }
            }
        }
    }

    fn handle_object(&self, bytes: &[u8]) -> Flow {
        let obj: StreamObject = match serde_json::from_slice(bytes) {
            Ok(obj) => obj,
            Err(err) => {
                tracing::warn!(error = %err, "skipping an undecodable stream line");
                return Flow::Continue;
            }
        };
        let mut flow = Flow::Continue;
        for problem in &obj.errors {
            if problem.ends_stream() {
                tracing::warn!(title = %problem.title, detail = %problem.detail,
                    disconnect_type = ?problem.disconnect_type,
                    connection_issue = ?problem.connection_issue, "Twitter is ending the stream");
                flow = Flow::Reconnect;
            } else {
                tracing::warn!(title = %problem.title, detail = %problem.detail, "stream problem");
            }
        }
        if let Some(tweet) = obj.data {
            let id = tweet.id.clone();
            match tweet.into_item(&obj.includes, &obj.matching_rules) {
                Some(item) => {
                    tracing::debug!(tweet_id = %id, rooms = ?item.room_ids, "tweet matched");
                    self.metrics.twitter.item_seen();
                    self.outbox.push(item);
                }
                None => tracing::debug!(tweet_id = %id, "tweet matched no room of ours"),
            }
        }
        flow
    }
}
