//! `GET /ws`: the WebSocket handshake (RFC 6455 §4.2) on top of hyper, then the session.
//!
//! Refusals that a load balancer should see (connection limit, draining) are plain HTTP 503s
//! before the upgrade. A browser from a foreign origin is upgraded and then closed with 1008,
//! as docs/protocol.md promises, so that the page learns why.

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::body::{Bytes, Incoming};
use hyper::header::{
    HeaderMap, HeaderValue, CONNECTION, ORIGIN, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use super::admission::{admit, origin_allowed};
use super::{text, Body};
use crate::context::Context;
use crate::metrics::Transport;
use crate::session;

/// Read buffer per socket, which is also the most tungstenite reads in one call. Its default,
/// 128 KiB up front, would be nearly all of an idle socket's cost (4 KiB still was 40 %).
/// Client frames are small (a join, a post of a few hundred bytes, a pong): a larger frame still
/// gets room for its whole length, it just takes a few more reads.
const READ_BUFFER_BYTES: usize = 256;

/// Answers an upgrade request and, on success, spawns the socket's session on `tasks`.
pub(crate) fn accept(
    mut req: Request<Incoming>,
    ctx: &Arc<Context>,
    tasks: &TaskTracker,
    peer: SocketAddr,
) -> Response<Body> {
    let headers = req.headers();
    if !is_upgrade(headers) {
        return text(StatusCode::BAD_REQUEST, "expected a WebSocket upgrade");
    }
    if headers.get(SEC_WEBSOCKET_VERSION).map(HeaderValue::as_bytes) != Some(b"13") {
        let mut response = text(StatusCode::UPGRADE_REQUIRED, "WebSocket version 13 only");
        response
            .headers_mut()
            .insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        return response;
    }
    let Some(key) = headers.get(SEC_WEBSOCKET_KEY) else {
        return text(StatusCode::BAD_REQUEST, "missing Sec-WebSocket-Key");
    };
    let accept_key = derive_accept_key(key.as_bytes());
    let origin_ok = origin_allowed(&ctx.settings.http.allowed_origins, headers.get(ORIGIN));
    let (guard, client) = match admit(ctx, peer, headers, Transport::WebSocket) {
        Ok(admitted) => admitted,
        Err(refusal) => return refusal.into_response(),
    };

    let on_upgrade = hyper::upgrade::on(&mut req);
    let max = ctx.settings.ws.max_message_bytes;
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(Some(max))
        .max_frame_size(Some(max));
    let conn = super::next_connection_id();
    let span = tracing::info_span!("ws", conn, %peer);
    let sessions = tasks.clone();
    // The handshake and the session are separate tasks: the handshake's state (hyper's pending
    // upgrade, the codec being set up) is freed once it is done instead of staying in the
    // session's allocation for the socket's whole life.
    tasks.spawn(
        async move {
            let upgraded = match on_upgrade.await {
                Ok(upgraded) => upgraded,
                Err(err) => return tracing::debug!(error = %err, "upgrade failed"),
            };
            let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await;
            if !origin_ok {
                tracing::info!("origin not allowed; closing with 1008");
                return session::refuse(ws, CloseCode::Policy, "origin not allowed").await;
            }
            let ctx = Arc::clone(guard.ctx());
            sessions.spawn(session::run(ws, ctx, guard, client).in_current_span());
        }
        .instrument(span),
    );

    let mut response = Response::new(super::full(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = response.headers_mut();
    h.insert(UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(value) = HeaderValue::from_str(&accept_key) {
        h.insert(SEC_WEBSOCKET_ACCEPT, value);
    }
    response
}

fn is_upgrade(headers: &HeaderMap) -> bool {
    let has_token = |name, token: &str| {
        headers.get_all(name).iter().any(|value| {
            value
                .to_str()
                .map(|v| v.split(',').any(|part| part.trim().eq_ignore_ascii_case(token)))
                .unwrap_or(false)
        })
    };
    has_token(CONNECTION, "upgrade") && has_token(UPGRADE, "websocket")
}
