//! The fake's HTTP/1.1 on hyper (`hyper::server::conn::http1`): persistent connections, JSON
//! answers with the headers the real API sends, streaming bodies sent chunked.

// A test double: when it cannot do its job it panics, which fails the test that uses it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpStream;

/// A body as the fake sends it: whole (JSON) or streamed; an error cuts the connection.
pub type Body = BoxBody<Bytes, std::io::Error>;

/// What the rules endpoints need of a request.
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub body: Vec<u8>,
}

/// Serves `conn` until the client goes away; `answer` handles each request. An `Err` answer
/// closes the connection without a byte of response (a TCP-level failure for the client).
pub async fn serve<F, A>(conn: TcpStream, answer: F)
where
    F: Fn(hyper::Request<Incoming>) -> A + Send + 'static,
    A: Future<Output = std::io::Result<Response<Body>>> + Send + 'static,
{
    let service = hyper::service::service_fn(answer);
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(conn), service)
        .await;
}

/// Reads the whole request for the rules endpoints.
pub async fn read_request(req: hyper::Request<Incoming>) -> Option<Request> {
    let method = req.method().to_string();
    let target = req.uri().path_and_query().map(ToString::to_string).unwrap_or_default();
    let body = req.into_body().collect().await.ok()?.to_bytes().to_vec();
    Some(Request { method, target, body })
}

/// A response with the real API's JSON content type.
pub fn with_json_type(status: u16, body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

pub fn respond_json(status: u16, body: &Value) -> Response<Body> {
    let whole = Full::new(Bytes::from(body.to_string())).map_err(|never| match never {});
    let mut response = with_json_type(status, whole.boxed());
    if status == 429 {
        let headers = response.headers_mut();
        headers.insert("x-rate-limit-limit", HeaderValue::from_static("50"));
        headers.insert("x-rate-limit-remaining", HeaderValue::from_static("0"));
        headers.insert("x-rate-limit-reset", HeaderValue::from_static("1795403700"));
    }
    response
}

pub fn problem(status: u16) -> Value {
    match status {
        401 => {
            json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
        }
        429 => {
            json!({"title": "ConnectionException", "detail": "This stream is currently at the maximum allowed connection limit.",
                      "connection_issue": "TooManyConnections", "type": "https://api.twitter.com/2/problems/streaming-connection"})
        }
        s => {
            json!({"title": "Service Unavailable", "detail": "Service Unavailable", "type": "about:blank", "status": s})
        }
    }
}
