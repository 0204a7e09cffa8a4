//! One server-sent events stream (`GET /sse`), from its first byte to its end.
//!
//! The client is subscribed like a WebSocket (same hub queue, same replay, same `reset`); this
//! task only writes: the room's frames as SSE events, in batches, a comment line as a heartbeat,
//! and nothing it cannot deliver in time. Writes go through a small channel into the response
//! body, so a client that stops reading stops hyper taking chunks, the channel fills and the
//! write times out, or the hub's queue overflows meanwhile: either way the stream ends (the
//! WebSocket's 1013), and the client resumes with `Last-Event-ID`.

use std::sync::Arc;

use futures_util::Future;
use hyper::body::Bytes;
use tokio::sync::mpsc;

use super::subscribe::Subscription;
use super::{bounded, queued, End, BATCH};
use crate::context::Context;
use crate::hub::{Inbox, Membership, Outgoing};
use crate::protocol::{append_sse_event, ServerFrame};

/// Sent as the heartbeat: a comment line, which clients ignore.
const HEARTBEAT: &[u8] = b": heartbeat\n\n";

struct EventStream {
    ctx: Arc<Context>,
    /// Into the response body; closed when the client is gone.
    chunks: mpsc::Sender<Bytes>,
    inbox: Inbox,
    _membership: Option<Membership>,
}

/// Serves one subscribed event stream until it ends; `guard` (the connection's permits) is
/// released last.
pub(crate) fn run<G>(
    ctx: Arc<Context>,
    subscription: Subscription,
    chunks: mpsc::Sender<Bytes>,
    guard: G,
) -> impl Future<Output = ()> {
    let greeting = subscription.greeting;
    let mut stream = EventStream {
        ctx,
        chunks,
        inbox: subscription.inbox,
        _membership: subscription.membership,
    };
    async move {
        let end = stream.serve(greeting).await;
        if end == End::TooSlow {
            stream.ctx.metrics.slow_clients_closed.inc();
        }
        tracing::debug!(?end, "event stream ends");
        drop(stream);
        drop(guard);
    }
}

/// The first chunk of every stream: the reconnect hint, then `greeting` (already SSE events).
fn opening(ctx: &Context, greeting: &[tokio_tungstenite::tungstenite::Message]) -> Vec<u8> {
    let mut out = format!("retry: {}\n\n", ctx.settings.sse.retry_ms).into_bytes();
    for frame in greeting {
        append_sse_event(frame, &mut out);
    }
    out
}

/// The whole answer to a join that cannot be replayed: the hint and the `reset` event. The
/// client fetches `/events` from the CMS and opens a new stream from where that left it.
pub(crate) fn reset_stream(ctx: &Context, seq: tm_core::event::Seq) -> Bytes {
    Bytes::from(opening(ctx, &[ServerFrame::Reset { seq }.to_message()]))
}

impl EventStream {
    async fn serve(&mut self, greeting: Vec<tokio_tungstenite::tungstenite::Message>) -> End {
        if let Err(end) = self.write(opening(&self.ctx, &greeting)).await {
            return end;
        }
        drop(greeting);
        let every = self.ctx.settings.sse.heartbeat();
        let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let step = tokio::select! {
                _ = self.ctx.drain.cancelled() => Err(End::Draining),
                _ = self.chunks.closed() => Err(End::Gone),
                _ = queued(Some(&self.inbox)) => self.forward().await,
                _ = heartbeat.tick() => self.write(HEARTBEAT.to_vec()).await,
            };
            if let Err(end) = step {
                return end;
            }
        }
    }

    /// Writes what is queued (up to a batch) as one chunk. A `reset` ends the stream after it
    /// is written: the client is no longer in the room, and reconnects once it caught up.
    async fn forward(&mut self) -> Result<(), End> {
        if self.inbox.is_overflowed() {
            return Err(End::TooSlow);
        }
        let mut out = Vec::new();
        let mut left_room = false;
        for _ in 0..BATCH {
            match self.inbox.try_pop() {
                None => break,
                Some(Outgoing::Frame(frame)) => append_sse_event(&frame, &mut out),
                Some(Outgoing::Leave(frame)) => {
                    append_sse_event(&frame, &mut out);
                    left_room = true;
                    break;
                }
            }
        }
        if !out.is_empty() {
            self.write(out).await?;
        }
        if left_room {
            return Err(End::Reset);
        }
        Ok(())
    }

    async fn write(&self, chunk: Vec<u8>) -> Result<(), End> {
        bounded(Some(&self.inbox), self.chunks.send(Bytes::from(chunk))).await
    }
}
