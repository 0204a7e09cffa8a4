//! An HTTP proxy that refuses WebSockets, as school and corporate proxies do: a request that
//! asks to upgrade to a WebSocket is answered 403 and closed; every other request (pages,
//! server-sent events) is passed through to the target untouched.
//!
//! It looks at the first request of each connection only, then copies bytes both ways. That is
//! enough for browsers, which open every WebSocket on a connection of its own; a client that
//! sent an upgrade later on a kept-alive connection would get through.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Request heads longer than this are refused (no browser request comes near it).
const MAX_HEAD: usize = 64 * 1024;

#[derive(Default)]
struct Counts {
    refused_upgrades: AtomicUsize,
    passed: AtomicUsize,
    /// Set by [`NoWebSocketProxy::allow_websockets`]: the network lets them through again.
    allowing: AtomicBool,
}

/// A proxy on `127.0.0.1:<random port>`. Dropping it stops accepting.
pub struct NoWebSocketProxy {
    addr: SocketAddr,
    counts: Arc<Counts>,
    acceptor: JoinHandle<()>,
}

impl NoWebSocketProxy {
    /// Starts proxying to `target`.
    pub async fn start(target: SocketAddr) -> io::Result<NoWebSocketProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let counts = Arc::new(Counts::default());
        let acceptor = tokio::spawn(accept_loop(listener, target, Arc::clone(&counts)));
        Ok(NoWebSocketProxy { addr, counts, acceptor })
    }

    /// The address clients should connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// WebSocket upgrades refused so far.
    pub fn refused_upgrades(&self) -> usize {
        self.counts.refused_upgrades.load(Ordering::SeqCst)
    }

    /// From now on, upgrades pass too (the page's next try at a WebSocket gets through).
    pub fn allow_websockets(&self) {
        self.counts.allowing.store(true, Ordering::SeqCst);
    }

    /// Connections passed through so far.
    pub fn passed(&self) -> usize {
        self.counts.passed.load(Ordering::SeqCst)
    }
}

impl Drop for NoWebSocketProxy {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

async fn accept_loop(listener: TcpListener, target: SocketAddr, counts: Arc<Counts>) {
    while let Ok((client, _)) = listener.accept().await {
        let counts = Arc::clone(&counts);
        tokio::spawn(async move {
            if let Err(err) = serve(client, target, &counts).await {
                tracing::debug!(error = %err, "no-websocket proxy: connection ended");
            }
        });
    }
}

async fn serve(mut client: TcpStream, target: SocketAddr, counts: &Counts) -> io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = client.read(&mut buf).await?;
        if n == 0 || head.len() > MAX_HEAD {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    if asks_for_websocket(&head) && !counts.allowing.load(Ordering::SeqCst) {
        counts.refused_upgrades.fetch_add(1, Ordering::SeqCst);
        tracing::info!("no-websocket proxy: upgrade refused");
        client
            .write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await?;
        return client.shutdown().await;
    }
    counts.passed.fetch_add(1, Ordering::SeqCst);
    let mut upstream = TcpStream::connect(target).await?;
    upstream.set_nodelay(true)?;
    client.set_nodelay(true)?;
    upstream.write_all(&head).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

/// Whether a request head carries `Upgrade: websocket`.
fn asks_for_websocket(head: &[u8]) -> bool {
    String::from_utf8_lossy(head).lines().any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("upgrade") && value.to_ascii_lowercase().contains("websocket")
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_websocket_upgrades_are_recognised() {
        assert!(asks_for_websocket(
            b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUPGRADE: WebSocket\r\n\r\n"
        ));
        assert!(!asks_for_websocket(
            b"GET /sse?token=t HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"
        ));
        assert!(!asks_for_websocket(
            b"GET /ws?upgrade=websocket HTTP/1.1\r\nHost: x\r\n\r\n"
        ));
    }
}
