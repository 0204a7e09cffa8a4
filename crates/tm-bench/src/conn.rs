//! Subscriber connections and the [`Fleet`] that opens them.
//!
//! - a **sink** reads into a small buffer and walks frame headers only, adding to shared counters
//!   once per read;
//! - a **probe** collects each payload, takes the intended send time out of it and records the
//!   latency into its group's HDR histogram;
//! - a **stalled** connection never reads (a slow consumer: its receive window fills up).
//!
//! All answer pings with pongs. Source addresses are spread over 127.0.0.x (`per_src_ip`
//! connections each) so ephemeral ports do not run out.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use crate::frame::{encode_frame, Event, FrameReader, OP_CLOSE, OP_PONG, OP_TEXT};
use crate::handshake::{connect, ConnectOpts};
use crate::hist::LatencyHist;
use crate::publisher::extract_t;
use crate::target::{Target, GATEWAY_RESET_PREFIX};

/// Counters shared by every connection of a fleet.
#[derive(Debug, Default)]
pub struct Counters {
    /// Deliveries received (sinks and probes): data messages that begin with the target's
    /// [`Target::delivery_prefix`] (for the peers, every data message).
    pub frames: AtomicU64,
    /// Other data messages (tm-gateway's `joined`, `presence`, `error`…; resets too).
    pub other: AtomicU64,
    /// tm-gateway `reset` frames: the gateway saw a gap and took the socket out of its room.
    pub resets: AtomicU64,
    /// Connections currently open (task running).
    pub open: AtomicU64,
    /// Connections the server closed or reset.
    pub closed_by_server: AtomicU64,
}

/// Latency recording shared by a group of probes.
#[derive(Debug)]
pub struct ProbeGroup {
    pub hist: Mutex<LatencyHist>,
    /// Messages whose intended time is before this (ns) are not recorded (warm-up).
    pub since_ns: AtomicU64,
    /// Messages seen by the group's probes without a readable `t`.
    pub untimed: AtomicU64,
}

impl ProbeGroup {
    pub fn new() -> anyhow::Result<Arc<Self>> {
        Ok(Arc::new(Self {
            hist: Mutex::new(LatencyHist::new()?),
            since_ns: AtomicU64::new(0),
            untimed: AtomicU64::new(0),
        }))
    }

    /// Records from now on only messages intended at or after `ns`, and forgets what was recorded.
    pub fn measure_from(&self, ns: u64) {
        self.since_ns.store(ns, Ordering::Relaxed);
        if let Ok(mut h) = self.hist.lock() {
            h.reset();
        }
    }

    pub fn snapshot(&self) -> anyhow::Result<LatencyHist> {
        let hist = self
            .hist
            .lock()
            .map_err(|_| anyhow::anyhow!("probe histogram lock poisoned"))?;
        Ok(hist.clone())
    }
}

/// What a connection does with what it receives.
#[derive(Debug, Clone)]
pub enum Role {
    /// Count frames, headers only.
    Sink,
    /// Parse every frame, record latency into the group.
    Probe(Arc<ProbeGroup>),
    /// Never read.
    Stalled,
}

/// `SO_RCVBUF` of a stalled connection: small, so that its window fills up soon.
const STALLED_RECV_BUF: u32 = 4096;

/// How connections are opened (flags of every WebSocket scenario).
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct FleetOpts {
    /// Handshakes in flight at once while opening connections.
    #[arg(long, default_value_t = 256)]
    pub connect_concurrency: usize,
    /// Connections per source address (127.0.0.1, .2, …): the kernel's search for a free
    /// ephemeral port slows down as one address's range (28k ports here) fills up.
    #[arg(long, default_value_t = 10_000)]
    pub conns_per_src_ip: u32,
    /// Read buffer per sink connection, bytes.
    #[arg(long, default_value_t = 2048)]
    pub sink_buf: usize,
    /// Connect + handshake timeout, seconds.
    #[arg(long, default_value_t = 10.0)]
    pub connect_timeout: f64,
}

/// A set of connections to one target with shared counters.
#[derive(Debug)]
pub struct Fleet {
    target: Target,
    opts: FleetOpts,
    pub counters: Arc<Counters>,
    root: CancellationToken,
    next_index: AtomicU64,
    /// One per connection held: cancelling it closes the connection (a close frame, then the
    /// socket is dropped).
    handles: Vec<CancellationToken>,
}

/// Result of opening a batch.
#[derive(Debug)]
pub struct OpenReport {
    /// Connections opened.
    pub ok: u64,
    /// Connections that failed (connect or handshake).
    pub failed: u64,
    /// Per-connection connect + handshake time.
    pub handshake: LatencyHist,
}

impl Fleet {
    pub fn new(target: Target, opts: FleetOpts) -> Self {
        Self {
            target,
            opts,
            counters: Arc::new(Counters::default()),
            root: CancellationToken::new(),
            next_index: AtomicU64::new(0),
            handles: Vec::new(),
        }
    }

    /// Connections held (opened and not closed by us).
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    fn src_ip(&self, index: u64) -> IpAddr {
        let per = u64::from(self.opts.conns_per_src_ip.max(1));
        // 127.0.0.1 … 127.0.0.254
        let host = 1 + (index / per) % 254;
        IpAddr::V4(Ipv4Addr::new(127, 0, 0, host as u8))
    }

    /// Opens one connection per `(room, role)`, `concurrency` at a time; keeps the handles.
    pub async fn open(&mut self, specs: impl IntoIterator<Item = (String, Role)>) -> anyhow::Result<OpenReport> {
        let specs: Vec<(String, Role)> = specs.into_iter().collect();
        let mut report = OpenReport {
            ok: 0,
            failed: 0,
            handshake: LatencyHist::new()?,
        };
        let mut first_error = None;
        let this = &*self;
        let results: Vec<_> = futures_util::stream::iter(specs.into_iter().map(|(room, role)| {
            let index = this.next_index.fetch_add(1, Ordering::Relaxed);
            this.open_one(index, room, role)
        }))
        .buffered(self.opts.connect_concurrency.max(1))
        .collect()
        .await;
        for r in results {
            match r {
                Ok((h, took)) => {
                    report.ok += 1;
                    report.handshake.record_ns(took);
                    self.handles.push(h);
                }
                Err(e) => {
                    report.failed += 1;
                    first_error.get_or_insert_with(|| e.to_string());
                }
            }
        }
        if let Some(e) = &first_error {
            tracing::warn!(failed = report.failed, first = %e, "some connections failed");
        }
        Ok(report)
    }

    /// Opens the batches one after the other (so that each batch joins after the one before);
    /// returns how many connections failed.
    pub async fn open_batches(
        &mut self,
        batches: impl IntoIterator<Item = Vec<(String, Role)>>,
    ) -> anyhow::Result<u64> {
        let mut failed = 0;
        for batch in batches {
            failed += self.open(batch).await?.failed;
        }
        Ok(failed)
    }

    async fn open_one(&self, index: u64, room: String, role: Role) -> anyhow::Result<(CancellationToken, u64)> {
        let t0 = std::time::Instant::now();
        let src = self.src_ip(index);
        let opts = ConnectOpts {
            src: (src != IpAddr::V4(Ipv4Addr::LOCALHOST)).then_some(src),
            recv_buf: matches!(role, Role::Stalled).then_some(STALLED_RECV_BUF),
            timeout: Duration::from_secs_f64(self.opts.connect_timeout.max(0.1)),
        };
        let path = self.target.subscribe_path(&room);
        let join = self.target.join_message(&room)?;
        let (mut stream, leftover) = connect(&self.target.endpoint, &path, &opts).await?;
        if let Some(join) = join {
            let mut f = Vec::new();
            encode_frame(&mut f, OP_TEXT, &join, Some(rand::random()));
            stream.write_all(&f).await?;
        }
        let took = u64::try_from(t0.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let cancel = self.root.child_token();
        let counters = self.counters.clone();
        counters.open.fetch_add(1, Ordering::Relaxed);
        let c2 = cancel.clone();
        let buf = self.opts.sink_buf;
        let prefix = self.target.delivery_prefix();
        tokio::spawn(async move {
            run_conn(stream, leftover, role, &counters, &c2, buf, prefix).await;
            counters.open.fetch_sub(1, Ordering::Relaxed);
        });
        Ok((cancel, took))
    }

    /// Closes the `n` most recently opened connections (fewer if fewer are held).
    pub fn close_last(&mut self, n: usize) {
        let keep = self.handles.len().saturating_sub(n);
        for h in self.handles.drain(keep..) {
            h.cancel();
        }
    }

    /// Closes every connection and waits (bounded) until their tasks ended.
    pub async fn close_all(&mut self, wait: Duration) {
        self.root.cancel();
        self.handles.clear();
        let open = &self.counters.open;
        crate::poll_until(wait, Duration::from_millis(20), || open.load(Ordering::Relaxed) == 0).await;
        self.root = CancellationToken::new();
    }

    /// Data messages received so far by all connections.
    pub fn frames(&self) -> u64 {
        self.counters.frames.load(Ordering::Relaxed)
    }

    /// Waits until `frames()` reaches `target` or `timeout` passes; returns the count then.
    pub async fn wait_frames(&self, target: u64, timeout: Duration) -> u64 {
        let mut f = 0;
        crate::poll_until(timeout, Duration::from_millis(10), || {
            f = self.frames();
            f >= target
        })
        .await;
        f
    }

    /// Waits until no new frame arrived for `quiet`, at most `timeout`.
    pub async fn wait_quiet(&self, quiet: Duration, timeout: Duration) -> u64 {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut last = self.frames();
        loop {
            tokio::time::sleep(quiet).await;
            let f = self.frames();
            if f == last || tokio::time::Instant::now() >= deadline {
                return f;
            }
            last = f;
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.root.cancel();
    }
}

async fn run_conn(
    mut stream: TcpStream,
    leftover: Vec<u8>,
    role: Role,
    counters: &Counters,
    cancel: &CancellationToken,
    buf_size: usize,
    delivery_prefix: &'static [u8],
) {
    let probe = match role {
        Role::Stalled => return cancel.cancelled().await,
        Role::Probe(g) => Some(g),
        Role::Sink => None,
    };
    let head = delivery_prefix.len().max(GATEWAY_RESET_PREFIX.len());
    let mut reader =
        FrameReader::new(probe.is_some(), 1 << 20).with_head(if delivery_prefix.is_empty() { 0 } else { head });
    let mut buf = vec![0u8; buf_size.max(64)];
    let mut out = Vec::new();
    let (rd, mut wr) = stream.split();
    // What the server sent right behind its handshake answer is read first.
    let mut rd = leftover.as_slice().chain(rd);
    loop {
        let n = tokio::select! {
            () = cancel.cancelled() => {
                let mut f = Vec::new();
                encode_frame(&mut f, OP_CLOSE, &1000u16.to_be_bytes(), Some(rand::random()));
                let _ = tokio::time::timeout(Duration::from_millis(200), wr.write_all(&f)).await;
                return;
            }
            r = rd.read(&mut buf) => match r {
                Ok(0) | Err(_) => {
                    counters.closed_by_server.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Ok(n) => n,
            },
        };
        let (mut msgs, mut other, mut resets) = (0u64, 0u64, 0u64);
        let mut closed = false;
        let now = if probe.is_some() { crate::wall_ns() } else { 0 };
        let res = reader.feed(&buf[..n], &mut |ev| match ev {
            Event::Message { payload, .. } if !payload.starts_with(delivery_prefix) => {
                other += 1;
                if payload.starts_with(GATEWAY_RESET_PREFIX) {
                    resets += 1;
                }
            }
            Event::Message { payload, .. } => {
                msgs += 1;
                if let Some(g) = &probe {
                    match extract_t(payload) {
                        Some(t) if t >= g.since_ns.load(Ordering::Relaxed) => {
                            if let Ok(mut h) = g.hist.lock() {
                                h.record_ns(now.saturating_sub(t));
                            }
                        }
                        Some(_) => {}
                        None => {
                            g.untimed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
            Event::Ping(p) => encode_frame(&mut out, OP_PONG, p, Some(rand::random())),
            Event::Pong => {}
            Event::Close(_) => closed = true,
        });
        if msgs > 0 {
            counters.frames.fetch_add(msgs, Ordering::Relaxed);
        }
        if other > 0 {
            counters.other.fetch_add(other, Ordering::Relaxed);
            counters.resets.fetch_add(resets, Ordering::Relaxed);
        }
        if res.is_err() {
            return;
        }
        if !out.is_empty() && wr.write_all(&out).await.is_err() {
            return;
        }
        out.clear();
        if closed {
            counters.closed_by_server.fetch_add(1, Ordering::Relaxed);
            return;
        }
    }
}
