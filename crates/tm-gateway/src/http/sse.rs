//! `GET /sse?token=<join token>&since=<seq>`: the server-sent events fallback for networks that
//! block WebSockets (docs/protocol.md). Admission, the token check and the join are the
//! WebSocket's; what differs is that the answer to them is an HTTP status (an `EventSource`
//! cannot read frames before the stream opens) and that the stream only ever carries events
//! to the client: posts go to tm-cms's JSON API.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use http_body_util::Either;
use hyper::body::{Body as HttpBody, Bytes, Frame, Incoming};
use hyper::header::{
    HeaderMap, HeaderValue, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_MAX_AGE, CACHE_CONTROL, CONTENT_TYPE, ORIGIN, VARY,
};
use hyper::{Request, Response, StatusCode};
use tm_core::event::Seq;
use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use super::admission::{admit, origin_allowed};
use super::{full, text, Body};
use crate::context::Context;
use crate::metrics::Transport;
use crate::session::sse;
use crate::session::subscribe::{self, Subscribed};

/// The standard header an `EventSource` sends when it reconnects: the last `id:` it saw.
const LAST_EVENT_ID: &str = "last-event-id";
/// Chunks waiting for hyper to take them. Each is a batch of events, so two are plenty; more
/// would only hide a client that stopped reading.
const CHUNKS_IN_FLIGHT: usize = 2;

/// The response body of an open stream: whatever the stream's task writes, until it ends.
pub(crate) struct StreamBody {
    chunks: mpsc::Receiver<Bytes>,
}

impl HttpBody for StreamBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.chunks
            .poll_recv(cx)
            .map(|chunk| chunk.map(|bytes| Ok(Frame::data(bytes))))
    }
}

/// What a `/sse` request asks for.
#[derive(Debug, PartialEq, Eq)]
struct StreamRequest<'a> {
    token: &'a str,
    /// `Last-Event-ID` when the client sent one (a reconnect: newer than the URL's), else `since`.
    since: Option<Seq>,
}

/// Reads the token and the resume point; `Err` names what is wrong.
fn parse<'a>(query: Option<&'a str>, headers: &HeaderMap) -> Result<StreamRequest<'a>, &'static str> {
    let mut token = None;
    let mut since = None;
    // Join tokens are base64url and `.`, seqs digits: nothing here is percent-encoded.
    for pair in query.unwrap_or_default().split('&') {
        match pair.split_once('=') {
            Some(("token", value)) => token = Some(value),
            Some(("since", value)) => since = Some(value.parse::<Seq>().map_err(|_| "since must be a seq")?),
            _ => {}
        }
    }
    let token = token.filter(|t| !t.is_empty()).ok_or("token required")?;
    let last_event_id = headers
        .get(LAST_EVENT_ID)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<Seq>().ok());
    Ok(StreamRequest {
        token,
        since: last_event_id.or(since),
    })
}

/// Opens an event stream: 403 for a foreign origin, 400 without a token, 401 for a token that
/// proves nothing, the admission refusals of `/ws` (503, 429), else 200 and the stream, whose
/// task runs on `tasks` (so the drain waits for it).
pub(crate) async fn accept(
    req: Request<Incoming>,
    ctx: &Arc<Context>,
    tasks: &TaskTracker,
    peer: SocketAddr,
) -> Response<Body> {
    let headers = req.headers();
    let origin = headers.get(ORIGIN).cloned();
    if !origin_allowed(&ctx.settings.http.allowed_origins, origin.as_ref()) {
        tracing::info!(%peer, "event stream from a foreign origin refused");
        return text(StatusCode::FORBIDDEN, "origin not allowed");
    }
    let request = match parse(req.uri().query(), headers) {
        Ok(request) => request,
        Err(problem) => return with_cors(text(StatusCode::BAD_REQUEST, problem), origin),
    };
    let claims = match subscribe::verify(ctx, request.token) {
        Ok(claims) => claims,
        Err(err) => return with_cors(text(StatusCode::UNAUTHORIZED, err.to_string()), origin),
    };
    let (guard, _client) = match admit(ctx, peer, headers, Transport::EventStream) {
        Ok(admitted) => admitted,
        Err(refusal) => return with_cors(refusal.into_response(), origin),
    };
    let span = tracing::info_span!("sse", conn = super::next_connection_id(), %peer);
    let since = request.since;
    let body = match subscribe::subscribe(ctx, claims, since).instrument(span.clone()).await {
        Subscribed::Reset { seq } => full(sse::reset_stream(ctx, seq)),
        Subscribed::Live(subscription) => {
            let (chunks, receiver) = mpsc::channel(CHUNKS_IN_FLIGHT);
            tasks.spawn(sse::run(Arc::clone(ctx), subscription, chunks, guard).instrument(span));
            Either::Right(StreamBody { chunks: receiver })
        }
    };
    let mut response = Response::new(body);
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // nginx reads this and passes the stream through unbuffered even where the site config
    // forgot `proxy_buffering off`.
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    with_cors(response, origin)
}

/// `OPTIONS /sse`: a browser asks before it sends `Last-Event-ID` to another origin.
pub(crate) fn preflight(req: &Request<Incoming>, ctx: &Context) -> Response<Body> {
    let origin = req.headers().get(ORIGIN).cloned();
    if !origin_allowed(&ctx.settings.http.allowed_origins, origin.as_ref()) {
        return text(StatusCode::FORBIDDEN, "origin not allowed");
    }
    let mut response = Response::new(full(Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    let h = response.headers_mut();
    h.insert(ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET"));
    h.insert(
        ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("last-event-id, cache-control"),
    );
    h.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    with_cors(response, origin)
}

/// Lets the page's origin (already checked against the allow-list) read the answer. The origin
/// is echoed, not `*`, so the answer is the same whatever the allow-list.
fn with_cors(mut response: Response<Body>, origin: Option<HeaderValue>) -> Response<Body> {
    if let Some(origin) = origin {
        let h = response.headers_mut();
        h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(VARY, HeaderValue::from_static("Origin"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_event_id_wins_over_since_and_a_token_is_required() {
        let mut headers = HeaderMap::new();
        assert_eq!(
            parse(Some("token=a.b&since=4"), &headers),
            Ok(StreamRequest {
                token: "a.b",
                since: Some(4)
            })
        );
        assert_eq!(parse(Some("token=a.b"), &headers).unwrap().since, None, "live only");
        headers.insert(LAST_EVENT_ID, HeaderValue::from_static("9"));
        assert_eq!(parse(Some("token=a.b&since=4"), &headers).unwrap().since, Some(9));
        headers.insert(LAST_EVENT_ID, HeaderValue::from_static("not a seq"));
        assert_eq!(parse(Some("token=a.b&since=4"), &headers).unwrap().since, Some(4));
        assert_eq!(parse(Some("since=4"), &headers), Err("token required"));
        assert_eq!(parse(None, &headers), Err("token required"));
        assert_eq!(parse(Some("token=a.b&since=x"), &headers), Err("since must be a seq"));
    }
}
