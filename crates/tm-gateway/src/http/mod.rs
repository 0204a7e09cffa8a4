//! The gateway's HTTP listener: `/ws` plus the operational endpoints `/healthz` (alive),
//! `/readyz` (subscribed to the broker and not draining) and `/metrics` (Prometheus), which
//! tm-runtime's [`Ops`] answers as on every service.
//!
//! hyper's HTTP/1 server with upgrades, rather than a web framework: the gateway serves four
//! routes, and its per-connection footprint is what the benchmarks measure.

pub(crate) mod post_budget;
pub(crate) mod quota;
mod upgrade;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
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

pub(crate) type Body = Full<Bytes>;

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
                        Some(answer) => answer.into_hyper(),
                        None => route(req, &ctx, &sessions, peer),
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

fn route(req: Request<Incoming>, ctx: &Arc<Context>, tasks: &TaskTracker, peer: SocketAddr) -> Response<Body> {
    if req.method() != Method::GET {
        return text(StatusCode::METHOD_NOT_ALLOWED, "GET only");
    }
    match req.uri().path() {
        "/ws" => upgrade::accept(req, ctx, tasks, peer),
        _ => text(StatusCode::NOT_FOUND, "not found"),
    }
}

pub(crate) fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}
