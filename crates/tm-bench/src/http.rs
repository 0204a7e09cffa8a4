//! A minimal HTTP/1.1 keep-alive client for tm-cms (S7, S8): one request at a time per
//! [`HttpConn`], `Content-Length` or chunked answers, loopback only like the WebSocket targets.
//! tm-bench keeps its own small client (as it does for WebSockets) so that what it measures is
//! the server, not a client library's pooling.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context as _};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::handshake::head_end;

/// Errors in a `--cms-url`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HttpUrlError {
    /// Not `http://HOST:PORT` (an optional trailing `/` is allowed, nothing else after it).
    #[error("expected http://127.0.0.1:PORT, got {0:?}")]
    Shape(String),
    /// Not on the loopback network: this tool only ever sends to this machine.
    #[error("{0} is not a loopback address; tm-bench only targets 127.0.0.0/8 or ::1")]
    NotLoopback(SocketAddr),
}

/// A parsed HTTP base URL, e.g. `http://127.0.0.1:8080`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpBase {
    /// Socket address (loopback).
    pub addr: SocketAddr,
    /// `Host:` header value.
    pub host: String,
}

impl HttpBase {
    /// Parses `http://127.0.0.1:PORT` (or `http://[::1]:PORT`, with or without a final `/`);
    /// refuses anything off loopback, host names, other schemes and paths.
    pub fn parse(url: &str) -> Result<Self, HttpUrlError> {
        let shape = || HttpUrlError::Shape(url.into());
        let rest = url.strip_prefix("http://").ok_or_else(shape)?;
        let host = rest.strip_suffix('/').unwrap_or(rest);
        if host.contains('/') || host.contains('?') {
            return Err(shape());
        }
        let addr: SocketAddr = host.parse().map_err(|_| shape())?;
        if !addr.ip().is_loopback() {
            return Err(HttpUrlError::NotLoopback(addr));
        }
        Ok(Self {
            addr,
            host: host.to_string(),
        })
    }
}

/// The parts of a response head tm-bench needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Status code.
    pub status: u16,
    /// `Content-Length`, when given.
    pub content_length: Option<usize>,
    /// `Transfer-Encoding: chunked`.
    pub chunked: bool,
    /// `Connection: close`: the server closes after this answer.
    pub close: bool,
    /// Bytes of the head, blank line included.
    pub len: usize,
}

/// Parses a response head at the start of `buf`: `Ok(None)` while it is incomplete.
pub fn parse_head(buf: &[u8]) -> anyhow::Result<Option<Head>> {
    let Some(len) = head_end(buf) else {
        if buf.len() > 64 * 1024 {
            bail!("response head larger than 64 KiB");
        }
        return Ok(None);
    };
    let text = String::from_utf8_lossy(&buf[..len]);
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.split(' ');
    let (Some(version), Some(code)) = (parts.next(), parts.next()) else {
        bail!("bad status line {status_line:?}");
    };
    if !version.starts_with("HTTP/1.") {
        bail!("not an HTTP/1.x answer: {status_line:?}");
    }
    let status: u16 = code
        .parse()
        .with_context(|| format!("bad status line {status_line:?}"))?;
    let mut head = Head {
        status,
        content_length: None,
        chunked: false,
        close: false,
        len,
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_ascii_lowercase());
        match name.as_str() {
            "content-length" => head.content_length = Some(value.parse().context("bad Content-Length")?),
            "transfer-encoding" => head.chunked = value.split(',').any(|v| v.trim() == "chunked"),
            "connection" => head.close = value.split(',').any(|v| v.trim() == "close"),
            _ => {}
        }
    }
    Ok(Some(head))
}

/// Decodes a chunked body at the start of `buf`: `Ok(None)` while incomplete, else the body and
/// the bytes consumed (trailers included).
pub fn decode_chunked(buf: &[u8]) -> anyhow::Result<Option<(Vec<u8>, usize)>> {
    let mut body = Vec::new();
    let mut i = 0;
    loop {
        let Some(eol) = buf[i..].windows(2).position(|w| w == b"\r\n") else {
            return Ok(None);
        };
        let line = std::str::from_utf8(&buf[i..i + eol]).context("bad chunk size line")?;
        let hex = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(hex, 16).with_context(|| format!("bad chunk size {line:?}"))?;
        i += eol + 2;
        if size == 0 {
            // Trailers (usually none), then a blank line.
            loop {
                let Some(eol) = buf[i..].windows(2).position(|w| w == b"\r\n") else {
                    return Ok(None);
                };
                i += eol + 2;
                if eol == 0 {
                    return Ok(Some((body, i)));
                }
            }
        }
        if buf.len() < i + size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&buf[i..i + size]);
        if &buf[i + size..i + size + 2] != b"\r\n" {
            bail!("chunk not followed by CRLF");
        }
        i += size + 2;
    }
}

/// One answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Response {
    /// Whether the status is 2xx.
    #[must_use]
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON.
    pub fn json(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_slice(&self.body).context("the answer is not JSON")
    }

    /// The body as text, shortened for error messages.
    #[must_use]
    pub fn snippet(&self) -> String {
        let s = String::from_utf8_lossy(&self.body);
        s.chars().take(200).collect()
    }
}

/// Why a request failed before an answer came.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// A kept-alive connection was closed before any byte of the answer: the server dropped
    /// an idle connection, so the request can be sent again on a new one.
    #[error("the connection was closed before the answer")]
    ClosedEarly,
    /// Anything else (I/O, a malformed answer, a timeout).
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// One keep-alive HTTP/1.1 connection (to tm-cms, or a peer's `/pub`); reconnects when the
/// server closed it.
#[derive(Debug)]
pub struct HttpConn {
    base: HttpBase,
    stream: Option<TcpStream>,
    rbuf: Vec<u8>,
    wbuf: Vec<u8>,
    timeout: Duration,
}

impl HttpConn {
    /// A connection to `base`, opened now (so that connect time is not measured later).
    pub async fn connect(base: &HttpBase, timeout: Duration) -> anyhow::Result<Self> {
        let mut c = Self {
            base: base.clone(),
            stream: None,
            rbuf: Vec::with_capacity(8192),
            wbuf: Vec::with_capacity(4096),
            timeout,
        };
        c.stream = Some(c.open().await?);
        Ok(c)
    }

    async fn open(&self) -> anyhow::Result<TcpStream> {
        let s = tokio::time::timeout(self.timeout, TcpStream::connect(self.base.addr))
            .await
            .with_context(|| format!("connecting to {} timed out", self.base.addr))?
            .with_context(|| format!("connecting to {}", self.base.addr))?;
        s.set_nodelay(true)?;
        Ok(s)
    }

    /// Sends one request and reads its answer (any status). `body` is sent as JSON when given.
    /// A kept-alive connection the server closed meanwhile is replaced and the request sent
    /// again, once.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<&[u8]>,
    ) -> anyhow::Result<Response> {
        let reused = self.stream.is_some();
        match self.once(method, path, bearer, body).await {
            Ok(r) => Ok(r),
            Err(RequestError::ClosedEarly) if reused => {
                self.stream = None;
                self.once(method, path, bearer, body).await.map_err(|e| match e {
                    RequestError::ClosedEarly => anyhow::anyhow!("{e}"),
                    RequestError::Other(e) => e,
                })
            }
            Err(RequestError::ClosedEarly) => bail!("the connection was closed before the answer"),
            Err(RequestError::Other(e)) => Err(e),
        }
    }

    async fn once(
        &mut self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<Response, RequestError> {
        let timeout = self.timeout;
        let r = tokio::time::timeout(timeout, self.exchange(method, path, bearer, body)).await;
        let r = match r {
            Ok(r) => r,
            Err(_) => Err(anyhow::anyhow!("no answer within {} ms", timeout.as_millis()).into()),
        };
        if r.is_err() {
            self.stream = None;
        }
        r
    }

    async fn exchange(
        &mut self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<Response, RequestError> {
        if self.stream.is_none() {
            self.stream = Some(self.open().await?);
        }
        let Some(stream) = self.stream.as_mut() else {
            return Err(anyhow::anyhow!("no connection").into());
        };
        self.wbuf.clear();
        self.wbuf
            .extend_from_slice(format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.base.host).as_bytes());
        if let Some(token) = bearer {
            self.wbuf
                .extend_from_slice(format!("Authorization: Bearer {token}\r\n").as_bytes());
        }
        match body {
            Some(b) => {
                self.wbuf.extend_from_slice(
                    format!("Content-Type: application/json\r\nContent-Length: {}\r\n\r\n", b.len()).as_bytes(),
                );
                self.wbuf.extend_from_slice(b);
            }
            None if method == "GET" => self.wbuf.extend_from_slice(b"\r\n"),
            None => self.wbuf.extend_from_slice(b"Content-Length: 0\r\n\r\n"),
        }
        if let Err(e) = stream.write_all(&self.wbuf).await {
            // A write onto a connection the server already closed.
            return Err(
                if e.kind() == std::io::ErrorKind::BrokenPipe || e.kind() == std::io::ErrorKind::ConnectionReset {
                    RequestError::ClosedEarly
                } else {
                    anyhow::Error::from(e).into()
                },
            );
        }
        self.rbuf.clear();
        let mut chunk = [0u8; 8192];
        let head = loop {
            if let Some(h) = parse_head(&self.rbuf)? {
                break h;
            }
            let n = match stream.read(&mut chunk).await {
                Ok(n) => n,
                Err(e) if self.rbuf.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset => 0,
                Err(e) => return Err(anyhow::Error::from(e).into()),
            };
            if n == 0 {
                return Err(if self.rbuf.is_empty() {
                    RequestError::ClosedEarly
                } else {
                    anyhow::anyhow!("connection closed inside the answer head").into()
                });
            }
            self.rbuf.extend_from_slice(&chunk[..n]);
        };
        let body = loop {
            let rest = &self.rbuf[head.len..];
            if head.chunked {
                if let Some((b, _)) = decode_chunked(rest)? {
                    break b;
                }
            } else if let Some(n) = head.content_length {
                if rest.len() >= n {
                    break rest[..n].to_vec();
                }
            } else if method == "HEAD" || head.status == 204 || head.status == 304 {
                break Vec::new();
            }
            // Neither length nor chunked: the body runs to the end of the connection.
            let n = stream.read(&mut chunk).await.map_err(anyhow::Error::from)?;
            if n == 0 {
                if head.content_length.is_none() && !head.chunked {
                    let b = rest.to_vec();
                    self.stream = None;
                    return Ok(Response {
                        status: head.status,
                        body: b,
                    });
                }
                return Err(anyhow::anyhow!("connection closed inside the answer body").into());
            }
            self.rbuf.extend_from_slice(&chunk[..n]);
        };
        if head.close {
            self.stream = None;
        }
        Ok(Response {
            status: head.status,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_loopback_only() {
        let b = HttpBase::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(b.addr.port(), 8080);
        assert_eq!(b.host, "127.0.0.1:8080");
        assert_eq!(HttpBase::parse("http://127.0.0.1:8080/").unwrap(), b);
        assert!(HttpBase::parse("http://[::1]:9000").is_ok());
        assert!(HttpBase::parse("http://127.0.0.5:1").is_ok());
        assert!(matches!(
            HttpBase::parse("http://10.1.2.3:8080"),
            Err(HttpUrlError::NotLoopback(_))
        ));
        for bad in [
            "https://127.0.0.1:8080",
            "ws://127.0.0.1:8080",
            "http://localhost:8080",
            "http://127.0.0.1",
            "http://127.0.0.1:8080/api",
            "http://127.0.0.1:8080?x=1",
            "127.0.0.1:8080",
        ] {
            assert!(matches!(HttpBase::parse(bad), Err(HttpUrlError::Shape(_))), "{bad}");
        }
    }

    #[test]
    fn heads_parse() {
        assert_eq!(parse_head(b"HTTP/1.1 201 Created\r\nContent-Le").unwrap(), None);
        let raw = b"HTTP/1.1 201 Created\r\ncontent-length: 12\r\nContent-Type: application/json\r\n\r\n{\"a\":1}";
        let h = parse_head(raw).unwrap().unwrap();
        assert_eq!(h.status, 201);
        assert_eq!(h.content_length, Some(12));
        assert!(!h.chunked && !h.close);
        assert_eq!(&raw[h.len..], b"{\"a\":1}");
        let h =
            parse_head(b"HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
                .unwrap()
                .unwrap();
        assert_eq!(
            (h.status, h.chunked, h.close, h.content_length),
            (429, true, true, None)
        );
        assert!(parse_head(b"SSH-2.0-x\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 abc OK\r\n\r\n").is_err());
    }

    #[test]
    fn chunked_bodies_decode() {
        let raw = b"4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\n\r\nNEXT";
        let (body, used) = decode_chunked(raw).unwrap().unwrap();
        assert_eq!(body, b"Wikipedia in \r\n\r\nchunks.");
        assert_eq!(&raw[used..], b"NEXT");
        assert_eq!(decode_chunked(b"4\r\nWiki\r\n0\r\n").unwrap(), None);
        assert_eq!(decode_chunked(b"4\r\nWi").unwrap(), None);
        let (body, _) = decode_chunked(b"0\r\nX-T: 1\r\n\r\n").unwrap().unwrap();
        assert!(body.is_empty());
        assert!(decode_chunked(b"zz\r\n").is_err());
        assert!(decode_chunked(b"2\r\nabXX0\r\n\r\n").is_err());
    }
}
