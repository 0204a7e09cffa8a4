//! The client side of the WebSocket opening handshake on hyper's client connection
//! (`hyper::client::conn::http1`): one `GET … Upgrade: websocket` request, insist on `101`, then
//! take the raw [`TcpStream`] back for the frame reader. Bytes the server sent after the response
//! head (early frames) are handed back so no frame is lost.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use base64::Engine as _;
use http_body_util::Empty;
use hyper::header::{CONNECTION, HOST, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION, UPGRADE};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpSocket, TcpStream};

use crate::target::Endpoint;

/// Why a connection did not become a WebSocket.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// Socket-level failure (connect refused, reset, out of ports or files…).
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The upgrade request could not be built (a path that is no request target).
    #[error("bad request: {0}")]
    Request(#[from] hyper::http::Error),
    /// The HTTP exchange failed (connection closed, malformed or oversized answer).
    #[error("http: {0}")]
    Http(#[from] hyper::Error),
    /// No complete response in time.
    #[error("handshake timed out")]
    Timeout,
    /// The server answered something other than `101 Switching Protocols`.
    #[error("server refused the upgrade: {0:?}")]
    Refused(String),
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

/// Connects to `to`, upgrades `path`, returns the stream and any bytes read past the head.
pub async fn connect(to: &Endpoint, path: &str, opts: &ConnectOpts) -> Result<(TcpStream, Vec<u8>), HandshakeError> {
    tokio::time::timeout(opts.timeout, connect_inner(to, path, opts))
        .await
        .map_err(|_| HandshakeError::Timeout)?
}

async fn connect_inner(to: &Endpoint, path: &str, opts: &ConnectOpts) -> Result<(TcpStream, Vec<u8>), HandshakeError> {
    let sock = if to.addr.is_ipv4() {
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
    let stream = sock.connect(to.addr).await?;
    stream.set_nodelay(true)?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    // Ends once the upgrade has taken the socket (or the exchange failed).
    tokio::spawn(connection.with_upgrades());
    let key = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 16]>());
    let request = Request::get(path)
        .header(HOST, &to.host)
        .header(UPGRADE, "websocket")
        .header(CONNECTION, "Upgrade")
        .header(SEC_WEBSOCKET_KEY, key)
        .header(SEC_WEBSOCKET_VERSION, "13")
        .body(Empty::<bytes::Bytes>::new())?;
    let answer = sender.send_request(request).await?;
    if answer.status() != StatusCode::SWITCHING_PROTOCOLS {
        return Err(HandshakeError::Refused(answer.status().to_string()));
    }
    let upgraded = hyper::upgrade::on(answer).await?;
    let parts = upgraded
        .downcast::<TokioIo<TcpStream>>()
        .map_err(|_| HandshakeError::Refused("the upgraded connection is not the TCP stream".into()))?;
    Ok((parts.io.into_inner(), parts.read_buf.to_vec()))
}
