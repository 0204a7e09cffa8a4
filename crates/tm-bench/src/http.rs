//! HTTP/1.1 keep-alive client for tm-cms (S7, S8) and the peers' `/pub` and `/stats`: one
//! request at a time per [`HttpConn`], on hyper's client connection
//! (`hyper::client::conn::http1`) rather than a pooling client, so that what tm-bench measures is
//! the server, not a pool; loopback only like the WebSocket targets.

use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::target::Endpoint;

/// One answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Response {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn json(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_slice(&self.body).context("the answer is not JSON")
    }

    /// The body as text, shortened for error messages.
    pub fn snippet(&self) -> String {
        let s = String::from_utf8_lossy(&self.body);
        s.chars().take(200).collect()
    }
}

/// Why a request failed before an answer came.
#[derive(Debug, thiserror::Error)]
enum RequestError {
    /// A kept-alive connection was closed before the answer: the server dropped an idle
    /// connection, so the request can be sent again on a new one.
    #[error("the connection was closed before the answer")]
    ClosedEarly,
    /// Anything else (I/O, a malformed answer, a timeout).
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<hyper::Error> for RequestError {
    fn from(e: hyper::Error) -> Self {
        let reset = std::error::Error::source(&e)
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .is_some_and(|io| {
                matches!(
                    io.kind(),
                    std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
                )
            });
        if reset || e.is_canceled() || e.is_closed() || e.is_incomplete_message() {
            Self::ClosedEarly
        } else {
            Self::Other(e.into())
        }
    }
}

/// One keep-alive HTTP/1.1 connection (to tm-cms, or a peer's `/pub`); reconnects when the
/// server closed it.
#[derive(Debug)]
pub struct HttpConn {
    endpoint: Endpoint,
    sender: Option<SendRequest<Full<Bytes>>>,
    timeout: Duration,
}

async fn open(endpoint: &Endpoint, timeout: Duration) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let addr = endpoint.addr;
    let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
        .await
        .with_context(|| format!("connecting to {addr} timed out"))?
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(%addr, error = %e, "HTTP connection ended");
        }
    });
    Ok(sender)
}

impl HttpConn {
    /// A connection to `endpoint`, opened now (so that connect time is not measured later).
    pub async fn connect(endpoint: &Endpoint, timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            endpoint: endpoint.clone(),
            sender: Some(open(endpoint, timeout).await?),
            timeout,
        })
    }

    /// Sends one request and reads its answer (any status). `body` is sent as JSON when given.
    /// A kept-alive connection the server closed meanwhile is replaced and the request sent
    /// again, once.
    pub async fn request(
        &mut self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<&[u8]>,
    ) -> anyhow::Result<Response> {
        let host = self.endpoint.host.clone();
        let build = || {
            let mut request = Request::builder().method(method.clone()).uri(path).header(HOST, &host);
            if let Some(token) = bearer {
                request = request.header(AUTHORIZATION, format!("Bearer {token}"));
            }
            if body.is_some() {
                request = request.header(CONTENT_TYPE, "application/json");
            }
            let body = Full::new(Bytes::copy_from_slice(body.unwrap_or_default()));
            request.body(body).context("building the request")
        };
        let reused = self.sender.as_ref().is_some_and(|s| !s.is_closed());
        match self.once(build()?).await {
            Err(RequestError::ClosedEarly) if reused => Ok(self.once(build()?).await?),
            answer => Ok(answer?),
        }
    }

    /// One attempt, bounded by the timeout; a connection that failed is dropped.
    async fn once(&mut self, request: Request<Full<Bytes>>) -> Result<Response, RequestError> {
        let answer = tokio::time::timeout(self.timeout, self.exchange(request)).await;
        let answer =
            answer.unwrap_or_else(|_| Err(anyhow::anyhow!("no answer within {} ms", self.timeout.as_millis()).into()));
        if answer.is_err() {
            self.sender = None;
        }
        answer
    }

    async fn exchange(&mut self, request: Request<Full<Bytes>>) -> Result<Response, RequestError> {
        let sender = match &mut self.sender {
            Some(sender) if !sender.is_closed() => sender,
            closed => closed.insert(open(&self.endpoint, self.timeout).await?),
        };
        sender.ready().await?;
        let answer = sender.send_request(request).await?;
        let status = answer.status().as_u16();
        let body = answer.into_body().collect().await.context("reading the answer body")?;
        Ok(Response {
            status,
            body: body.to_bytes().to_vec(),
        })
    }
}
