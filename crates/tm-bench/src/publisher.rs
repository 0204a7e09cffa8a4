//! Publishers inject messages into the server under test. [`Publisher`] is the extension point:
//! the peers take `POST /pub?room=R` on a keep-alive connection ([`HttpPublisher`]) or frames on a
//! `/pubws?room=R` socket ([`WsPublisher`], cheaper); tm-gateway will take AMQP
//! `message.created` events on `tm.events` (an `AmqpPublisher` implementing this trait, later).
//!
//! Message bodies are `{"t":<intended send time, ns since the Unix epoch>,"pad":"…"}` padded to
//! the requested size; probes find `"t":` (or `\"t\":` when the body sits escaped inside a JSON
//! string, as it will in gateway events) and read the digits after it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context as _};
use futures_util::future::BoxFuture;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::frame::{encode_frame, OP_TEXT};
use crate::handshake::{self, head_end, ConnectOpts};
use crate::target::Target;

/// Sends one message to every subscriber of a room.
pub trait Publisher: Send {
    /// Publishes `body` to `room`; resolves when the server has taken it (HTTP: answered; WS:
    /// written to the socket).
    fn publish<'a>(&'a mut self, room: &'a str, body: &'a [u8]) -> BoxFuture<'a, anyhow::Result<()>>;
    /// Short name for the results (`http`, `ws`, `amqp`).
    fn name(&self) -> &'static str;
    /// Gets ready to publish to `rooms` (open sockets, declare exchanges) so that setup cost is
    /// not measured. Does nothing by default.
    fn prepare<'a>(&'a mut self, rooms: &'a [String]) -> BoxFuture<'a, anyhow::Result<()>> {
        let _ = rooms;
        Box::pin(async { Ok(()) })
    }
}

/// Which publisher to use against a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PublishVia {
    /// `POST /pub?room=R`, one keep-alive connection, one request at a time.
    Http,
    /// A `/pubws?room=R` WebSocket per room.
    Ws,
}

/// Builds the publisher for `target`.
pub async fn for_target(target: &Target, via: PublishVia) -> anyhow::Result<Box<dyn Publisher>> {
    match target.kind {
        crate::target::TargetKind::Peer => Ok(match via {
            PublishVia::Http => Box::new(HttpPublisher::connect(target).await?),
            PublishVia::Ws => Box::new(WsPublisher::new(target)),
        }),
        crate::target::TargetKind::Gateway => bail!(
            "the tm-gateway publisher (AMQP message.created onto tm.events) is not written yet; \
             implement publisher::Publisher for it"
        ),
    }
}

/// A body of `size` bytes (at least the bare `{"t":…,"pad":""}`) carrying `t_ns`.
#[must_use]
pub fn make_body(t_ns: u64, size: usize) -> Vec<u8> {
    let head = format!("{{\"t\":{t_ns},\"pad\":\"");
    let mut v = Vec::with_capacity(size.max(head.len() + 2));
    v.extend_from_slice(head.as_bytes());
    let pad = size.saturating_sub(head.len() + 2);
    v.resize(v.len() + pad, b'x');
    v.extend_from_slice(b"\"}");
    v
}

/// The intended send time carried by a body, if any: the digits after the first `"t":` (or
/// `\"t\":`) that has digits after it.
#[must_use]
pub fn extract_t(payload: &[u8]) -> Option<u64> {
    let mut i = 0;
    while i < payload.len() {
        let rest = &payload[i..];
        let skip = if rest.starts_with(b"\"t\":") {
            4
        } else if rest.starts_with(b"\\\"t\\\":") {
            6
        } else {
            i += 1;
            continue;
        };
        let tail = &rest[skip..];
        let tail = &tail[tail.iter().take_while(|&&c| c == b' ').count()..];
        let digits = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits > 0 {
            return std::str::from_utf8(&tail[..digits]).ok()?.parse().ok();
        }
        i += skip;
    }
    None
}

/// `POST /pub?room=R` on one keep-alive HTTP/1.1 connection (reconnects once on failure).
#[derive(Debug)]
pub struct HttpPublisher {
    addr: SocketAddr,
    host: String,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
}

impl HttpPublisher {
    /// Connects to the target's address.
    pub async fn connect(target: &Target) -> anyhow::Result<Self> {
        let mut p = Self {
            addr: target.addr,
            host: target.host.clone(),
            stream: None,
            buf: Vec::with_capacity(4096),
        };
        p.stream = Some(p.open().await?);
        Ok(p)
    }

    async fn open(&self) -> anyhow::Result<TcpStream> {
        let s = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(self.addr))
            .await
            .context("connect timed out")??;
        s.set_nodelay(true)?;
        Ok(s)
    }

    async fn once(&mut self, room: &str, body: &[u8]) -> anyhow::Result<()> {
        let stream = match self.stream.as_mut() {
            Some(s) => s,
            None => {
                let s = self.open().await?;
                self.stream.insert(s)
            }
        };
        self.buf.clear();
        self.buf.extend_from_slice(
            format!(
                "POST /pub?room={room} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\n\r\n",
                self.host,
                body.len()
            )
            .as_bytes(),
        );
        self.buf.extend_from_slice(body);
        stream.write_all(&self.buf).await?;
        read_response(stream, &mut self.buf).await
    }
}

/// Reads one HTTP response (Content-Length or chunked) and insists on a 2xx status.
async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> anyhow::Result<()> {
    buf.clear();
    let mut chunk = [0u8; 2048];
    let end = loop {
        if let Some(e) = head_end(buf) {
            break e;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            bail!("connection closed before the response");
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > 64 * 1024 {
            bail!("response head too large");
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    let status = head.lines().next().unwrap_or_default().to_string();
    if !status.starts_with("http/1.1 2") {
        bail!("publish refused: {status}");
    }
    let clen = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    let chunked = head.contains("transfer-encoding: chunked");
    loop {
        let body = &buf[end..];
        let done = match clen {
            Some(n) => body.len() >= n,
            None if chunked => body.windows(5).any(|w| w == b"0\r\n\r\n"),
            None => true,
        };
        if done {
            return Ok(());
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            bail!("connection closed inside the response body");
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

impl Publisher for HttpPublisher {
    fn publish<'a>(&'a mut self, room: &'a str, body: &'a [u8]) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            match self.once(room, body).await {
                Ok(()) => Ok(()),
                Err(e) => {
                    tracing::debug!(error = %e, "publish failed; reconnecting once");
                    self.stream = None;
                    self.once(room, body).await
                }
            }
        })
    }

    fn name(&self) -> &'static str {
        "http"
    }
}

/// One `/pubws?room=R` WebSocket per room, opened on first use; every message is one masked
/// text frame. Nothing is read back (the peers send nothing on it).
#[derive(Debug)]
pub struct WsPublisher {
    target: Target,
    socks: HashMap<String, TcpStream>,
    buf: Vec<u8>,
}

impl WsPublisher {
    /// A publisher that connects lazily.
    #[must_use]
    pub fn new(target: &Target) -> Self {
        Self {
            target: target.clone(),
            socks: HashMap::new(),
            buf: Vec::with_capacity(4096),
        }
    }

    /// Opens the socket for `room` now (to keep connect time out of the measurement).
    pub async fn warm(&mut self, room: &str) -> anyhow::Result<()> {
        if !self.socks.contains_key(room) {
            let opts = ConnectOpts {
                src: None,
                recv_buf: None,
                timeout: Duration::from_secs(5),
            };
            let (s, _) = handshake::connect(
                self.target.addr,
                &self.target.host,
                &format!("/pubws?room={room}"),
                &opts,
            )
            .await?;
            self.socks.insert(room.to_string(), s);
        }
        Ok(())
    }
}

impl Publisher for WsPublisher {
    fn publish<'a>(&'a mut self, room: &'a str, body: &'a [u8]) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            self.warm(room).await?;
            self.buf.clear();
            encode_frame(&mut self.buf, OP_TEXT, body, Some(rand::random()));
            let Some(s) = self.socks.get_mut(room) else {
                bail!("no socket for room {room}");
            };
            if let Err(e) = s.write_all(&self.buf).await {
                self.socks.remove(room);
                return Err(e.into());
            }
            Ok(())
        })
    }

    fn name(&self) -> &'static str {
        "ws"
    }

    fn prepare<'a>(&'a mut self, rooms: &'a [String]) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            for r in rooms {
                self.warm(r).await?;
            }
            Ok(())
        })
    }
}

/// `GET /stats` of a peer: `{"conns", "rss"}` (for cross-checks; the sampler is authoritative).
pub async fn peer_stats(target: &Target) -> anyhow::Result<serde_json::Value> {
    let mut s = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(target.addr))
        .await
        .context("connect timed out")??;
    let req = format!(
        "GET /stats HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        target.host
    );
    s.write_all(req.as_bytes()).await?;
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf))
        .await
        .context("stats timed out")??;
    let end = head_end(&buf).context("no response head")?;
    let body = &buf[end..];
    // Tolerate chunked framing: take from the first `{` to the last `}`.
    let (a, b) = (
        body.iter().position(|&c| c == b'{').context("no JSON")?,
        body.iter().rposition(|&c| c == b'}').context("no JSON")?,
    );
    Ok(serde_json::from_slice(&body[a..=b])?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_padded_and_carries_t() {
        for size in [0, 10, 32, 200, 1024] {
            let b = make_body(1_763_868_000_123_456_789, size);
            assert_eq!(b.len(), size.max(b"{\"t\":1763868000123456789,\"pad\":\"\"}".len()));
            let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
            assert_eq!(v["t"].as_u64(), Some(1_763_868_000_123_456_789));
            assert_eq!(extract_t(&b), Some(1_763_868_000_123_456_789));
        }
    }

    #[test]
    fn extract_t_inside_an_escaped_string() {
        let ev = br#"{"type":"event","data":{"body":"{\"t\":42,\"pad\":\"xx\"}"}}"#;
        assert_eq!(extract_t(ev), Some(42));
        assert_eq!(extract_t(br#"{"type":"x"}"#), None);
        assert_eq!(extract_t(br#"{"t": 7}"#), Some(7));
        assert_eq!(extract_t(br#"{"text":"a","t":"no","x":{"t":9}}"#), Some(9));
    }
}
