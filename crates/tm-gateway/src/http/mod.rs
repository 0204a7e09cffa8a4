//! The gateway's HTTP listener: `/ws`, `/sse` (the server-sent events fallback) plus the
//! operational endpoints `/healthz` (alive),
//! `/readyz` (subscribed to the broker and not draining) and `/metrics` (Prometheus), which
//! tm-runtime's [`Ops`] answers as on every service.
//!
//! hyper's HTTP/1 server with upgrades, rather than a web framework: the gateway serves four
//! routes, and its per-connection footprint is what the benchmarks measure.

mod admission;
pub(crate) mod post_budget;
pub(crate) mod quota;
mod sse;
mod upgrade;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{Either, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tm_runtime::Ops;
use tokio::net::TcpListener;
use tokio_util::task::TaskTracker;

use crate::context::Context;

/// A whole answer, or an open event stream (`/sse`).
pub(crate) type Body = Either<Full<Bytes>, sse::StreamBody>;

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

/// A number for each client connection's tracing span, shared by both transports.
pub(crate) fn next_connection_id() -> u64 {
    NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed)
}

/// A client must send its request headers within this time (slowloris guard).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts connections until the drain starts. Sockets' sessions are spawned on `tasks`.
pub(crate) async fn serve(listener: TcpListener, ctx: Arc<Context>, ops: Arc<Ops>, tasks: TaskTracker) {
    loop {
        let (stream, peer) = tokio::select! {
            _ = ctx.drain.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Typically out of file descriptors: back off instead of spinning.
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let (ctx, ops, sessions) = (Arc::clone(&ctx), Arc::clone(&ops), tasks.clone());
        // Plain HTTP connections are not tracked: an idle keep-alive must not hold up a drain.
        // The session an upgrade starts is.
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<Incoming>| {
                let (ctx, ops, sessions) = (Arc::clone(&ctx), Arc::clone(&ops), sessions.clone());
                async move {
                    let ops_answer = match *req.method() {
                        Method::GET => ops.respond(req.uri().path()).await,
                        _ => None,
                    };
                    let response = match ops_answer {
                        Some(answer) => answer.into_hyper().map(Either::Left),
                        None => route(req, &ctx, &sessions, peer).await,
                    };
                    Ok::<_, Infallible>(response)
                }
            });
            let mut builder = http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
            let connection = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, %peer, "http connection error");
            }
        });
    }
}

async fn route(req: Request<Incoming>, ctx: &Arc<Context>, tasks: &TaskTracker, peer: SocketAddr) -> Response<Body> {
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/ws") => upgrade::accept(req, ctx, tasks, peer),
        (&Method::GET, "/sse") => sse::accept(req, ctx, tasks, peer).await,
        // A browser asks first before it sends `Last-Event-ID` to another origin.
        (&Method::OPTIONS, "/sse") => sse::preflight(&req, ctx),
        (_, "/ws" | "/sse") => text(StatusCode::METHOD_NOT_ALLOWED, "GET only"),
        _ => text(StatusCode::NOT_FOUND, "not found"),
    }
}

/// A whole answer.
pub(crate) fn full(body: Bytes) -> Body {
    Either::Left(Full::new(body))
}

pub(crate) fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(full(body.into()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}
