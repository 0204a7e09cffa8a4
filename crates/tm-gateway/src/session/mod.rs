//! One client connection: a WebSocket from upgrade to close (this module), or a server-sent
//! events stream ([`sse`]); joining a room ([`subscribe`]) is the same for both.
//!
//! A single task per socket `select!`s over: frames the hub queued (or its overflow), posts
//! waiting for the broker's confirm, frames from the client, and the gateway-wide keepalive
//! tick (which also announces the drain). Writes are batched (everything queued, then one
//! flush) and bounded by a timeout, so a client that stops reading is closed rather than
//! holding memory.

mod handle;
mod post;
mod react;
pub(crate) mod sse;
pub(crate) mod subscribe;

use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::FuturesUnordered;
use futures_util::{Future, FutureExt, SinkExt, StreamExt};
use tm_bus::PublishError;
use tm_core::JoinClaims;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;
use uuid::Uuid;

pub use post::{check as check_post, Draft, Rejection};

use crate::context::Context;
use crate::hub::{Inbox, Membership, Outgoing};
use crate::protocol::{ErrorCode, ServerFrame};

/// A write (or batch of writes) that takes longer than this means the client stopped reading.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Frames written between two flushes at most.
const BATCH: usize = 64;
/// How long our close frame gets to get through, behind whatever the client has not read yet.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long we then wait for the client's answering close.
const CLOSE_ANSWER: Duration = Duration::from_secs(1);

type PostResult = (Uuid, Result<(), PublishError>);
type PendingPost = Pin<Box<dyn Future<Output = PostResult> + Send>>;

/// Why a session ends, and so how the socket is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The client closed or the connection broke: nothing more to send.
    Gone,
    /// Draining for a restart: 1001, reconnect elsewhere.
    Draining,
    /// The client read too slowly: 1013.
    TooSlow,
    /// Oversized frame: 1008.
    TooBig,
    /// A text frame that is not UTF-8: 1007.
    NotUtf8,
    /// No frame from the client within the idle timeout.
    Idle,
    /// An event stream sent `reset`: its client is no longer in the room (a WebSocket stays
    /// open to join again instead).
    Reset,
}

/// What woke the session up. The `select!` only decides this; the work happens after it, so
/// the futures it waits on and the (larger) ones that write are never alive together, which
/// keeps every idle socket's task small.
enum Wake {
    Queued,
    Confirmed(PostResult),
    Incoming(Option<Result<Message, WsError>>),
    Tick,
}

struct Joined {
    claims: JoinClaims,
    _membership: Membership,
    reactions: react::ReactionBudget,
}

struct Session<S> {
    ctx: Arc<Context>,
    ws: WebSocketStream<S>,
    /// The room's queue for this socket, once joined.
    inbox: Option<Inbox>,
    joined: Option<Joined>,
    /// Posts waiting for the broker's confirm; created with the first post.
    posts: Option<FuturesUnordered<PendingPost>>,
    last_heard: Instant,
    /// The client's address (for the per-address post budget).
    client: IpAddr,
}

/// A write to the client, given up if it takes too long or if the hub finds the socket's queue
/// full meanwhile (both mean the client does not read fast enough).
///
/// Nearly every write completes at once (the kernel buffer has room), so the write is tried
/// first and the timer and overflow watch are only set up for one that has to wait: arming a
/// timer per write was a measurable part of each delivery's cost.
async fn bounded<E>(inbox: Option<&Inbox>, write: impl Future<Output = Result<(), E>>) -> Result<(), End> {
    let mut write = std::pin::pin!(write);
    match (&mut write).now_or_never() {
        Some(written) => written.map_err(|_| End::Gone),
        // Boxed, so that the rare wait does not widen every socket's resting state.
        None => Box::pin(wait_for_write(inbox, write)).await,
    }
}

/// Finishes a write that had to wait.
async fn wait_for_write<E>(inbox: Option<&Inbox>, write: impl Future<Output = Result<(), E>>) -> Result<(), End> {
    let overflowed = async {
        match inbox {
            Some(inbox) => inbox.overflowed().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        biased;
        _ = overflowed => Err(End::TooSlow),
        written = tokio::time::timeout(WRITE_TIMEOUT, write) => match written {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(End::Gone),
            Err(_) => Err(End::TooSlow),
        },
    }
}

/// Resolves when the queue has frames to write or has overflowed; never without a queue.
async fn queued(inbox: Option<&Inbox>) {
    let Some(inbox) = inbox else {
        return std::future::pending().await;
    };
    while !inbox.wants_writer() {
        inbox.changed().await;
    }
}

/// The next broker confirm of a waiting post; never while none waits.
async fn confirmation(posts: &mut Option<FuturesUnordered<PendingPost>>) -> PostResult {
    match posts {
        Some(posts) if !posts.is_empty() => match posts.next().await {
            Some(done) => done,
            None => std::future::pending().await,
        },
        _ => std::future::pending().await,
    }
}

/// Serves one upgraded socket until it ends, then closes it with the fitting code; `guard`
/// (the socket's connection permits) is released last.
///
/// Not an `async fn`: its arguments would be stored in the future and then again in the
/// session built from them. Built here, the session is stored once, in the one long-lived
/// allocation each socket costs.
pub fn run<S, G>(ws: WebSocketStream<S>, ctx: Arc<Context>, guard: G, client: IpAddr) -> impl Future<Output = ()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut session = Session {
        ctx,
        ws,
        inbox: None,
        joined: None,
        posts: None,
        last_heard: Instant::now(),
        client,
    };
    async move {
        let end = session.serve().await;
        tracing::debug!(?end, "socket ends");
        // Boxed: closing happens once, and its larger future need not widen every socket's.
        Box::pin(session.close(end)).await;
        drop(guard);
    }
}

/// Closes a socket at once with a policy code (used for a refused origin).
pub async fn refuse<S>(mut ws: WebSocketStream<S>, code: CloseCode, reason: &'static str)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = tokio::time::timeout(WRITE_TIMEOUT, ws.close(Some(frame))).await;
}

impl<S> Session<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    async fn serve(&mut self) -> End {
        // One gateway-wide ticker instead of a timer per socket; it also ticks when the drain
        // starts, so a socket waits on one shared signal, not two.
        let mut tick = self.ctx.keepalive.subscribe();
        if self.ctx.drain.is_cancelled() {
            return End::Draining;
        }
        loop {
            let wake = tokio::select! {
                _ = queued(self.inbox.as_ref()) => Wake::Queued,
                done = confirmation(&mut self.posts) => Wake::Confirmed(done),
                incoming = self.ws.next() => Wake::Incoming(incoming),
                Ok(()) = tick.changed() => Wake::Tick,
            };
            let step = match wake {
                Wake::Queued => self.forward().await,
                Wake::Confirmed(done) => Box::pin(self.confirmed(done)).await,
                Wake::Incoming(incoming) => self.received(incoming).await,
                Wake::Tick if self.ctx.drain.is_cancelled() => Err(End::Draining),
                Wake::Tick => self.keepalive().await,
            };
            if let Err(end) = step {
                return end;
            }
        }
    }

    /// Writes what is queued (up to a batch), then flushes once: one write for many frames.
    async fn forward(&mut self) -> Result<(), End> {
        let Some(inbox) = self.inbox.as_ref() else {
            return Ok(());
        };
        if inbox.is_overflowed() {
            return Err(End::TooSlow);
        }
        let mut left_room = false;
        let ws = &mut self.ws;
        let write = async {
            for _ in 0..BATCH {
                let frame = match inbox.try_pop() {
                    None => break,
                    Some(Outgoing::Frame(frame)) => frame,
                    Some(Outgoing::Leave(frame)) => {
                        left_room = true;
                        frame
                    }
                };
                ws.feed(frame).await?;
            }
            ws.flush().await
        };
        let result = bounded(Some(inbox), write).await;
        if left_room {
            self.joined = None;
        }
        result
    }

    /// Sends one frame now.
    async fn send(&mut self, frame: Message) -> Result<(), End> {
        bounded(self.inbox.as_ref(), self.ws.send(frame)).await
    }

    async fn error(&mut self, code: ErrorCode, message: &str, client_id: Option<Uuid>) -> Result<(), End> {
        self.send(
            ServerFrame::Error {
                code,
                message,
                client_id,
            }
            .to_message(),
        )
        .await
    }

    async fn keepalive(&mut self) -> Result<(), End> {
        if self.last_heard.elapsed() >= self.ctx.settings.ws.idle_timeout() {
            return Err(End::Idle);
        }
        self.send(Message::Ping(Default::default())).await
    }

    async fn close(mut self, end: End) {
        let (code, reason) = match end {
            End::Gone => return,
            End::Draining => (CloseCode::Away, "going away"),
            End::TooSlow => {
                self.ctx.metrics.slow_clients_closed.inc();
                (CloseCode::Again, "too slow: reconnect and resume")
            }
            End::TooBig => (CloseCode::Policy, "frame too large"),
            End::NotUtf8 => (CloseCode::Invalid, "text frame is not UTF-8"),
            End::Idle => (CloseCode::Away, "idle"),
            End::Reset => return,
        };
        self.joined = None;
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        // Our close may queue behind frames the client has not read yet: give it time to get
        // out, then a moment for the client's answer, and never more.
        if let Ok(Ok(())) = tokio::time::timeout(CLOSE_TIMEOUT, self.ws.close(Some(frame))).await {
            let _ = tokio::time::timeout(CLOSE_ANSWER, async { while let Some(Ok(_)) = self.ws.next().await {} }).await;
        }
    }
}
