//! A live-feed client that behaves like the bundled page: join with a token from the CMS,
//! apply events in seq order, fetch the gap from `/events` on `reset`, and rejoin with `since`
//! after every disconnect. It records what a person would have seen, plus any protocol
//! violation the gateway commits (a repeat or a gap while one socket stays open).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message as Frame;

/// One applied room event.
#[derive(Debug, Clone, PartialEq)]
pub struct SeenEvent {
    pub seq: u64,
    pub event: String,
    pub data: Value,
    /// Whether it came over the socket (else from the CMS after a reset).
    pub live: bool,
}

/// Everything the client observed.
#[derive(Debug, Default)]
pub struct Observed {
    pub events: Vec<SeenEvent>,
    pub last_seq: u64,
    /// Frames the gateway sent with a seq at or below one already sent on the same socket.
    pub repeats_on_socket: u32,
    /// Frames that skipped ahead on the same socket without a `reset`.
    pub gaps_on_socket: u32,
    pub resets: u32,
    pub reconnects: u32,
    pub accepted: Vec<String>,
    /// `rejected` frames: posts the CMS refused after `accepted`.
    pub rejected: Vec<Value>,
    pub errors: Vec<Value>,
    pub close_codes: Vec<u16>,
    pub presence: Option<u64>,
}

/// Where the client gets tokens and gaps from.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub cms: String,
    pub gateway_ws: String,
    pub slug: String,
}

/// A connected client; dropping it disconnects.
pub struct LiveClient {
    pub observed: Arc<Mutex<Observed>>,
    changed: Arc<Notify>,
    outbox: tokio::sync::mpsc::UnboundedSender<Value>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for LiveClient {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LiveClient {
    /// Connects and joins, returning once the gateway answered `joined`.
    pub async fn join(endpoints: Endpoints, since: u64) -> anyhow::Result<Self> {
        let observed = Arc::new(Mutex::new(Observed {
            last_seq: since,
            ..Default::default()
        }));
        let changed = Arc::new(Notify::new());
        let (outbox, inbox) = tokio::sync::mpsc::unbounded_channel();
        let (joined_tx, joined_rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(run(endpoints, observed.clone(), changed.clone(), inbox, joined_tx));
        tokio::time::timeout(Duration::from_secs(30), joined_rx)
            .await
            .context("no `joined` within 30 s")?
            .context("client task ended before joining")?;
        Ok(LiveClient {
            observed,
            changed,
            outbox,
            task,
        })
    }

    /// Sends a `post` frame with a fresh client_id, which it returns.
    pub fn post(&self, nickname: &str, body: &str) -> anyhow::Result<String> {
        let client_id = uuid::Uuid::new_v4().to_string();
        self.outbox
            .send(json!({"type": "post", "nickname": nickname, "body": body, "client_id": client_id}))
            .map_err(|_| anyhow::anyhow!("client task has stopped"))?;
        Ok(client_id)
    }

    /// Posts and waits for the gateway's `accepted` (as the page does before it sends the next).
    pub async fn post_accepted(&self, nickname: &str, body: &str) -> anyhow::Result<String> {
        let client_id = self.post(nickname, body)?;
        let id = client_id.clone();
        self.wait_until(Duration::from_secs(30), "accepted", move |o| o.accepted.contains(&id))
            .await?;
        Ok(client_id)
    }

    /// Waits until `check` holds for what was observed.
    pub async fn wait_until(
        &self,
        within: Duration,
        what: &str,
        check: impl Fn(&Observed) -> bool,
    ) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let notified = self.changed.notified();
            if self.snapshot(&check) {
                return Ok(());
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let o = self.observed.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
                bail!(
                    "timed out waiting for {what}; last seq {}, {} events, {} resets, {} accepted, errors {:?}, closes {:?}",
                    o.last_seq,
                    o.events.len(),
                    o.resets,
                    o.accepted.len(),
                    o.errors.iter().rev().take(3).collect::<Vec<_>>(),
                    o.close_codes
                );
            }
        }
    }

    pub async fn wait_for_seq(&self, seq: u64, within: Duration) -> anyhow::Result<()> {
        self.wait_until(within, &format!("seq {seq}"), |o| o.last_seq >= seq)
            .await
    }

    pub fn snapshot<T>(&self, f: impl FnOnce(&Observed) -> T) -> T {
        match self.observed.lock() {
            Ok(o) => f(&o),
            Err(poisoned) => f(&poisoned.into_inner()),
        }
    }
}

async fn run(
    endpoints: Endpoints,
    observed: Arc<Mutex<Observed>>,
    changed: Arc<Notify>,
    mut inbox: tokio::sync::mpsc::UnboundedReceiver<Value>,
    joined_tx: tokio::sync::oneshot::Sender<()>,
) {
    let http = reqwest::Client::new();
    let mut joined_tx = Some(joined_tx);
    let mut attempt: u32 = 0;
    loop {
        if let Err(error) = session(&endpoints, &http, &observed, &changed, &mut inbox, &mut joined_tx).await {
            tracing::debug!(%error, "live session ended");
        }
        attempt = (attempt + 1).min(5);
        if let Ok(mut o) = observed.lock() {
            o.reconnects += 1;
        }
        changed.notify_waiters();
        tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
    }
}

async fn session(
    endpoints: &Endpoints,
    http: &reqwest::Client,
    observed: &Arc<Mutex<Observed>>,
    changed: &Arc<Notify>,
    inbox: &mut tokio::sync::mpsc::UnboundedReceiver<Value>,
    joined_tx: &mut Option<tokio::sync::oneshot::Sender<()>>,
) -> anyhow::Result<()> {
    let join: Value = http
        .post(format!("{}/api/v1/rooms/{}/join", endpoints.cms, endpoints.slug))
        .json(&json!({}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = join["token"].as_str().context("join answer has no token")?;
    let (socket, _) = tokio_tungstenite::connect_async(endpoints.gateway_ws.as_str()).await?;
    let (mut sink, mut stream) = socket.split();
    let since = lock(observed)?.last_seq;
    sink.send(Frame::text(
        json!({"type": "join", "token": token, "since": since}).to_string(),
    ))
    .await?;
    let mut socket_last: Option<u64> = None;
    loop {
        tokio::select! {
            outgoing = inbox.recv() => {
                let Some(frame) = outgoing else { return Ok(()) };
                sink.send(Frame::text(frame.to_string())).await?;
            }
            incoming = stream.next() => {
                let frame = match incoming {
                    Some(Ok(Frame::Text(text))) => serde_json::from_str::<Value>(&text)?,
                    Some(Ok(Frame::Close(close))) => {
                        lock(observed)?.close_codes.push(close.map(|c| u16::from(c.code)).unwrap_or(1005));
                        changed.notify_waiters();
                        return Ok(());
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(e.into()),
                    None => return Ok(()),
                };
                let reset = handle(frame, &mut socket_last, observed, joined_tx)?;
                changed.notify_waiters();
                if reset {
                    catch_up(endpoints, http, token, observed).await?;
                    changed.notify_waiters();
                    return Ok(()); // rejoin with the new `since`
                }
            }
        }
    }
}

/// Applies one frame; true when the gateway asked for a reset.
fn handle(
    frame: Value,
    socket_last: &mut Option<u64>,
    observed: &Arc<Mutex<Observed>>,
    joined_tx: &mut Option<tokio::sync::oneshot::Sender<()>>,
) -> anyhow::Result<bool> {
    let mut o = lock(observed)?;
    match frame["type"].as_str().unwrap_or_default() {
        "joined" => {
            if let Some(tx) = joined_tx.take() {
                let _ = tx.send(());
            }
        }
        "event" => {
            let seq = frame["seq"].as_u64().context("event without seq")?;
            if let Some(prev) = *socket_last {
                if seq <= prev {
                    o.repeats_on_socket += 1;
                } else if seq > prev + 1 {
                    o.gaps_on_socket += 1;
                }
            }
            *socket_last = Some(seq);
            if seq == o.last_seq + 1 {
                o.last_seq = seq;
                o.events.push(SeenEvent {
                    seq,
                    event: frame["event"].as_str().unwrap_or_default().to_owned(),
                    data: frame["data"].clone(),
                    live: true,
                });
            } else if seq > o.last_seq + 1 {
                // Only a resume can legitimately start above our position; treat like a reset.
                o.gaps_on_socket += u32::from(socket_last.is_none());
                return Ok(true);
            }
        }
        "reset" => {
            o.resets += 1;
            return Ok(true);
        }
        "accepted" => o
            .accepted
            .push(frame["client_id"].as_str().unwrap_or_default().to_owned()),
        "rejected" => o.rejected.push(frame),
        "error" => o.errors.push(frame),
        "presence" => o.presence = frame["count"].as_u64(),
        _ => {}
    }
    Ok(false)
}

/// Fetches the gap from the CMS with the join token as credential (password rooms need it).
async fn catch_up(
    endpoints: &Endpoints,
    http: &reqwest::Client,
    token: &str,
    observed: &Arc<Mutex<Observed>>,
) -> anyhow::Result<()> {
    loop {
        let after = lock(observed)?.last_seq;
        let page: Value = http
            .get(format!(
                "{}/api/v1/rooms/{}/events?after={after}&limit=1000",
                endpoints.cms, endpoints.slug
            ))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let events = page["events"].as_array().cloned().unwrap_or_default();
        let mut o = lock(observed)?;
        for e in &events {
            let seq = e["seq"].as_u64().context("event without seq")?;
            if seq == o.last_seq + 1 {
                o.last_seq = seq;
                o.events.push(SeenEvent {
                    seq,
                    event: e["event"].as_str().unwrap_or_default().to_owned(),
                    data: e["data"].clone(),
                    live: false,
                });
            }
        }
        if events.is_empty() || o.last_seq >= page["seq"].as_u64().unwrap_or(0) {
            return Ok(());
        }
    }
}

fn lock(observed: &Arc<Mutex<Observed>>) -> anyhow::Result<std::sync::MutexGuard<'_, Observed>> {
    observed.lock().map_err(|_| anyhow::anyhow!("observed state poisoned"))
}
