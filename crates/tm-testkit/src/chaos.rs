//! A TCP proxy that can cut the link, for fault injection against real servers.
//!
//! The proxy listens on `127.0.0.1:0` and forwards each accepted connection to the target.
//! [`ChaosProxy::cut`] closes every forwarded connection at once (both sides see the socket
//! close, as after a network failure or a broker crash) and, until [`ChaosProxy::restore`],
//! refuses new ones by accepting and closing them immediately. [`ChaosProxy::freeze`] is the
//! nastier failure: sockets stay open but no byte moves either way and new connections hang,
//! as in a network partition; only heartbeats and timeouts can notice it.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

struct State {
    up: AtomicBool,
    /// Bumped on every cut; forwarders watching it close their sockets.
    cuts: watch::Sender<u64>,
    /// While true, forwarders hold their bytes and new connections wait.
    frozen: watch::Sender<bool>,
    open: AtomicUsize,
    refused: AtomicUsize,
    accepted: AtomicUsize,
}

/// A cuttable TCP forwarder. Dropping it stops it and closes its connections.
pub struct ChaosProxy {
    addr: SocketAddr,
    state: Arc<State>,
    acceptor: JoinHandle<()>,
}

impl ChaosProxy {
    /// Starts forwarding `127.0.0.1:<random port>` → `target`.
    pub async fn start(target: SocketAddr) -> io::Result<ChaosProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (cuts, _) = watch::channel(0);
        let (frozen, _) = watch::channel(false);
        let state = Arc::new(State {
            up: AtomicBool::new(true),
            cuts,
            frozen,
            open: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
            accepted: AtomicUsize::new(0),
        });
        let acceptor = tokio::spawn(accept_loop(listener, target, state.clone()));
        Ok(ChaosProxy { addr, state, acceptor })
    }

    /// The address clients should connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Drops all current connections and refuses new ones.
    pub fn cut(&self) {
        self.state.up.store(false, Ordering::SeqCst);
        self.state.cuts.send_modify(|n| *n += 1);
        tracing::info!(addr = %self.addr, "chaos proxy: link cut");
    }

    /// Keeps every socket open but stops moving bytes; new connections are accepted and held.
    pub fn freeze(&self) {
        self.state.frozen.send_replace(true);
        tracing::info!(addr = %self.addr, "chaos proxy: link frozen");
    }

    /// Accepts and forwards new connections again (and unfreezes).
    pub fn restore(&self) {
        self.state.up.store(true, Ordering::SeqCst);
        self.state.frozen.send_replace(false);
        tracing::info!(addr = %self.addr, "chaos proxy: link restored");
    }

    /// Connections being forwarded right now.
    pub fn open_connections(&self) -> usize {
        self.state.open.load(Ordering::SeqCst)
    }

    /// Connections refused while cut (shows a client keeps retrying).
    pub fn refused_connections(&self) -> usize {
        self.state.refused.load(Ordering::SeqCst)
    }

    /// Connections forwarded since start.
    pub fn accepted_connections(&self) -> usize {
        self.state.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for ChaosProxy {
    fn drop(&mut self) {
        self.acceptor.abort();
        self.state.up.store(false, Ordering::SeqCst);
        self.state.cuts.send_modify(|n| *n += 1);
    }
}

async fn accept_loop(listener: TcpListener, target: SocketAddr, state: Arc<State>) {
    loop {
        let inbound = match listener.accept().await {
            Ok((inbound, _)) => inbound,
            Err(err) => {
                tracing::warn!(error = %err, "chaos proxy: accept failed");
                continue;
            }
        };
        if !state.up.load(Ordering::SeqCst) {
            state.refused.fetch_add(1, Ordering::SeqCst);
            drop(inbound);
            continue;
        }
        state.accepted.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(forward(inbound, target, state.clone()));
    }
}

async fn forward(inbound: TcpStream, target: SocketAddr, state: Arc<State>) {
    let mut cuts = state.cuts.subscribe();
    cuts.borrow_and_update();
    let mut frozen = state.frozen.subscribe();
    tokio::select! {
        _ = frozen.wait_for(|f| !*f) => {}
        _ = cuts.changed() => return,
    }
    let outbound = match TcpStream::connect(target).await {
        Ok(outbound) => outbound,
        Err(err) => {
            tracing::warn!(error = %err, %target, "chaos proxy: target unreachable");
            return;
        }
    };
    state.open.fetch_add(1, Ordering::SeqCst);
    let (from_client, to_client) = inbound.into_split();
    let (from_server, to_server) = outbound.into_split();
    tokio::select! {
        _ = pipe(from_client, to_server, state.frozen.subscribe()) => {}
        _ = pipe(from_server, to_client, state.frozen.subscribe()) => {}
        _ = cuts.changed() => {}
    }
    state.open.fetch_sub(1, Ordering::SeqCst);
    // Dropping all halves closes both sockets: each peer sees the link go away.
}

/// Copies one direction until EOF or error, holding bytes while frozen.
async fn pipe(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mut frozen: watch::Receiver<bool>) -> io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = from.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        if frozen.wait_for(|f| !*f).await.is_err() {
            return Ok(());
        }
        to.write_all(&buf[..n]).await?;
    }
}
