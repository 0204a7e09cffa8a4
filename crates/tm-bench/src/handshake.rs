//! The minimal client side of the WebSocket opening handshake over a raw [`TcpStream`]: one
//! `GET … Upgrade: websocket` request, read until the blank line, insist on `101`. Bytes the server
//! sent after the response head (early frames) are handed back so no frame is lost.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};

/// Why a connection did not become a WebSocket.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// Socket-level failure (connect refused, reset, out of ports or files…).
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// No complete response in time.
    #[error("handshake timed out")]
    Timeout,
    /// The server answered something other than `101 Switching Protocols`.
    #[error("server refused the upgrade: {0:?}")]
    Refused(String),
    /// The response head was larger than we accept.
    #[error("response head too large")]
    TooLarge,
}

/// Options for [`connect`].
#[derive(Debug, Clone)]
pub struct ConnectOpts {
    /// Source address to bind (spread over 127.0.0.x when ports run short), or the kernel's pick.
    pub src: Option<IpAddr>,
    /// `SO_RCVBUF` to request (small for slow consumers), or the default.
    pub recv_buf: Option<u32>,
    /// Bound on connect + handshake.
    pub timeout: Duration,
}

/// Connects to `addr`, upgrades `path`, returns the stream and any bytes read past the head.
pub async fn connect(
    addr: SocketAddr,
    host: &str,
    path: &str,
    opts: &ConnectOpts,
) -> Result<(TcpStream, Vec<u8>), HandshakeError> {
    tokio::time::timeout(opts.timeout, connect_inner(addr, host, path, opts))
        .await
        .map_err(|_| HandshakeError::Timeout)?
}

async fn connect_inner(
    addr: SocketAddr,
    host: &str,
    path: &str,
    opts: &ConnectOpts,
) -> Result<(TcpStream, Vec<u8>), HandshakeError> {
    let sock = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    if let Some(src) = opts.src {
        sock.bind(SocketAddr::new(src, 0))?;
    }
    if let Some(rb) = opts.recv_buf {
        sock.set_recv_buffer_size(rb)?;
    }
    let mut stream = sock.connect(addr).await?;
    stream.set_nodelay(true)?;
    let key = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 16]>());
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(req.as_bytes()).await?;
    let (head_len, buf) = read_head(&mut stream).await?;
    let head = String::from_utf8_lossy(&buf[..head_len]);
    let status = head.lines().next().unwrap_or_default();
    if !status.starts_with("HTTP/1.1 101") {
        return Err(HandshakeError::Refused(status.to_string()));
    }
    Ok((stream, buf[head_len..].to_vec()))
}

/// Reads an HTTP response head; returns its length (through the blank line) and all bytes read.
pub async fn read_head(stream: &mut TcpStream) -> Result<(usize, Vec<u8>), HandshakeError> {
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(HandshakeError::Io(std::io::ErrorKind::UnexpectedEof.into()));
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = head_end(&buf) {
            return Ok((end, buf));
        }
        if buf.len() > 16 * 1024 {
            return Err(HandshakeError::TooLarge);
        }
    }
}

/// Index just past the `\r\n\r\n` that ends an HTTP head, if present.
#[must_use]
pub fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_end_finds_blank_line() {
        assert_eq!(head_end(b"HTTP/1.1 101 X\r\nA: b\r\n\r\n\x81\x00"), Some(24));
        assert_eq!(head_end(b"HTTP/1.1 101 X\r\n"), None);
    }
}
