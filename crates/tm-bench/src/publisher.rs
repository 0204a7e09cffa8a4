//! Publishers inject messages into the server under test, the way it takes them: the peers take
//! `POST /pub?room=R` on a keep-alive connection or frames on a `/pubws?room=R` socket
//! ([`WsPublisher`], cheaper); tm-gateway takes `message.created` events on `tm.events`, over
//! AMQP through tm-bus ([`AmqpPublisher`]).
//!
//! Message bodies are `{"t":<intended send time, ns since the Unix epoch>,"pad":"…"}` padded to
//! the requested size; probes find `"t":` (or `\"t\":` when the body sits escaped inside a JSON
//! string, as it does in gateway events) and read the digits after it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use anyhow::{bail, Context as _};
use hyper::Method;
use tm_bus::{Bus, BusConfig};
use tm_core::event::{Envelope, Message, MessageCreated, MessageKind, RoomId, Seq};
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

use crate::frame::{encode_frame, OP_TEXT};
use crate::handshake::{self, ConnectOpts};
use crate::http::HttpConn;
use crate::target::{room_id, Target, TargetKind};

/// Which publisher to use against a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PublishVia {
    /// `POST /pub?room=R`, one keep-alive connection, one request at a time.
    Http,
    /// A `/pubws?room=R` WebSocket per room.
    Ws,
}

/// The broker and the bus prefix: tm-gateway's (its `bus.url` and `bus.prefix`), or those a
/// subcommand of its own works under.
#[derive(Debug, Clone, clap::Args)]
pub struct AmqpOpts {
    /// The broker (tm-gateway's: the one it consumes from).
    #[arg(
        long,
        env = "TM_BENCH_AMQP_URL",
        default_value = "amqp://guest:guest@127.0.0.1:5672/%2f"
    )]
    pub amqp_url: String,
    /// The bus prefix (tm-gateway's TM_GATEWAY__BUS__PREFIX): its exchanges are
    /// <prefix>tm.events and so on. `cleanup-bus` and `amqp-baseline` need one, and not the
    /// empty (production) prefix.
    #[arg(long, env = "TM_BENCH_BUS_PREFIX", default_value = "")]
    pub bus_prefix: String,
}

impl AmqpOpts {
    /// tm-bus settings for this broker and prefix.
    pub fn bus_config(&self) -> BusConfig {
        BusConfig {
            url: self.amqp_url.clone(),
            prefix: self.bus_prefix.clone(),
            ..BusConfig::default()
        }
    }
}

/// Sends one message to every subscriber of a room.
pub enum Publisher {
    /// A peer's `POST /pub?room=R` on one keep-alive HTTP/1.1 connection (reconnects once on
    /// failure).
    Http(HttpConn),
    /// A peer's `/pubws?room=R`.
    Ws(WsPublisher),
    /// tm-gateway's intake.
    Amqp(AmqpPublisher),
}

/// How long a peer gets to answer one HTTP request (or to open a `/pubws` socket).
const PEER_HTTP_TIMEOUT: Duration = Duration::from_secs(5);

impl Publisher {
    /// The publisher for `target`: `via` for a peer, AMQP for tm-gateway (`via` is ignored: the
    /// gateway takes messages only from the broker).
    pub async fn for_target(target: &Target, via: PublishVia, amqp: &AmqpOpts) -> anyhow::Result<Self> {
        Ok(match (target.kind, via) {
            (TargetKind::Peer, PublishVia::Http) => {
                Self::Http(HttpConn::connect(&target.endpoint, PEER_HTTP_TIMEOUT).await?)
            }
            (TargetKind::Peer, PublishVia::Ws) => Self::Ws(WsPublisher::new(target)),
            (TargetKind::Gateway, _) => Self::Amqp(AmqpPublisher::new(amqp)),
        })
    }

    /// The name of the publisher [`Publisher::for_target`] builds, for the records (also of
    /// scenarios that publish nothing).
    pub fn name_for(kind: TargetKind, via: PublishVia) -> &'static str {
        match (kind, via) {
            (TargetKind::Gateway, _) => "amqp",
            (TargetKind::Peer, PublishVia::Http) => "http",
            (TargetKind::Peer, PublishVia::Ws) => "ws",
        }
    }

    /// Publishes `body` to `room`; resolves when the server has taken it (HTTP: answered; WS:
    /// written to the socket; AMQP: confirmed by the broker).
    pub async fn publish(&mut self, room: &str, body: &[u8]) -> anyhow::Result<()> {
        match self {
            Self::Http(conn) => {
                let path = format!("/pub?room={room}");
                let answer = conn.request(Method::POST, &path, None, Some(body)).await?;
                if !answer.is_success() {
                    bail!("publish refused: HTTP {} {}", answer.status, answer.snippet());
                }
                Ok(())
            }
            Self::Ws(ws) => ws.publish(room, body).await,
            Self::Amqp(amqp) => amqp.publish(room, body).await,
        }
    }

    /// Gets ready to publish to `rooms` (open the sockets, connect to the broker) so that setup
    /// cost is not measured.
    pub async fn prepare(&mut self, rooms: &[String]) -> anyhow::Result<()> {
        match self {
            Self::Http(_) => {}
            Self::Ws(ws) => {
                for room in rooms {
                    ws.warm(room).await?;
                }
            }
            Self::Amqp(amqp) => {
                amqp.connect().await?;
            }
        }
        Ok(())
    }

    /// Lets go of what the publisher holds, waiting for it to close.
    pub async fn close(&mut self) {
        // Merely dropping the bus leaves the close to a background task that the end of the
        // process cuts short (lapin then logs a channel error).
        if let Self::Amqp(AmqpPublisher { link, .. }) = self {
            if let Some((bus, _)) = link.take() {
                bus.close().await;
            }
        }
    }
}

/// A body of `size` bytes (at least the bare `{"t":…,"pad":""}`) carrying `t_ns`.
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
pub fn extract_t(payload: &[u8]) -> Option<u64> {
    (0..payload.len()).find_map(|i| {
        let rest = &payload[i..];
        let tail = rest
            .strip_prefix(b"\"t\":")
            .or_else(|| rest.strip_prefix(b"\\\"t\\\":"))?;
        let tail = &tail[tail.iter().take_while(|&&c| c == b' ').count()..];
        let digits = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        // No digits: not a time, look further.
        std::str::from_utf8(&tail[..digits]).ok()?.parse().ok()
    })
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
                timeout: PEER_HTTP_TIMEOUT,
            };
            let path = format!("/pubws?room={room}");
            let (s, _) = handshake::connect(&self.target.endpoint, &path, &opts).await?;
            self.socks.insert(room.to_string(), s);
        }
        Ok(())
    }

    async fn publish(&mut self, room: &str, body: &[u8]) -> anyhow::Result<()> {
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
    }
}

/// How long [`AmqpPublisher`] waits for the broker before it gives up (tm-bus itself would
/// retry forever).
const BROKER_PATIENCE: Duration = Duration::from_secs(20);

/// The last seq confirmed per room, for the whole process.
///
/// tm-gateway forwards a room's events only in strict +1 seq order: an older or equal seq is a
/// duplicate and dropped, a jump resets every subscriber of the room. Scenarios build a new
/// publisher per case while the room (and the gateway's memory of its last seq) lives on, so
/// the count belongs to the process, whose room ids are its own ([`room_id`]).
fn last_seqs() -> &'static Mutex<HashMap<RoomId, Seq>> {
    static SEQS: OnceLock<Mutex<HashMap<RoomId, Seq>>> = OnceLock::new();
    SEQS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Message ids, unique within the process (the gateway passes them on and never checks them).
static NEXT_MESSAGE_ID: AtomicU64 = AtomicU64::new(1);

/// tm-gateway's intake: `message.created` envelopes published onto `<prefix>tm.events` with
/// routing key `room.<id>.message.created`, as tm-cms publishes them, through tm-bus.
///
/// Publishes are serial and each waits for the broker's confirm: that keeps each room's seqs in
/// order on the wire. A room's seq advances only once the broker confirmed, so a failed publish
/// is retried under the same seq by the next message instead of leaving a gap (a gap would
/// reset every subscriber; a repeat is merely dropped by the gateway as a duplicate).
pub struct AmqpPublisher {
    cfg: BusConfig,
    link: Option<(Bus, tm_bus::Publisher)>,
}

impl AmqpPublisher {
    /// A publisher that connects on [`Publisher::prepare`] (or on first use).
    pub fn new(opts: &AmqpOpts) -> Self {
        Self {
            cfg: opts.bus_config(),
            link: None,
        }
    }

    /// Connects (declaring the prefixed topology, as every tm-bus client does), at most
    /// [`BROKER_PATIENCE`].
    pub async fn connect(&mut self) -> anyhow::Result<&tm_bus::Publisher> {
        if self.link.is_none() {
            let bus = connect_bus(&self.cfg, "tm-bench").await?;
            let publisher = bus.publisher().await?;
            self.link = Some((bus, publisher));
        }
        self.link.as_ref().map(|(_, p)| p).context("not connected")
    }

    async fn publish(&mut self, room: &str, body: &[u8]) -> anyhow::Result<()> {
        let body = String::from_utf8(body.to_vec()).context("message bodies must be UTF-8")?;
        let id = room_id(room);
        let seq = last_seqs()
            .lock()
            .map_err(|_| anyhow::anyhow!("seq lock poisoned"))?
            .get(&id)
            .copied()
            .unwrap_or(0)
            + 1;
        let id_in_process = NEXT_MESSAGE_ID.fetch_add(1, Ordering::Relaxed);
        let envelope = message_created(id, room, id_in_process, seq, body);
        self.connect().await?.publish(&envelope).await?;
        if let Ok(mut seqs) = last_seqs().lock() {
            seqs.insert(id, seq);
        }
        Ok(())
    }
}

/// A `message.created` envelope as tm-cms's relay publishes it (the gateway's only intake).
pub fn message_created(room_id: RoomId, room: &str, id: u64, seq: Seq, body: String) -> Envelope<MessageCreated> {
    Envelope::new(
        "tm-bench",
        MessageCreated {
            room_id,
            message: Message {
                id,
                seq,
                room: room.to_string(),
                nickname: "bench".into(),
                color: "#336699".into(),
                body,
                tokens: vec![],
                kind: MessageKind::Post,
                source_url: None,
                created_at: time::OffsetDateTime::now_utc(),
                client_id: None,
                votes: 0,
                answered: false,
                pinned: false,
            },
        },
    )
}

/// Connects a tm-bus [`Bus`], giving up after [`BROKER_PATIENCE`] with a clear error.
pub async fn connect_bus(cfg: &BusConfig, name: &str) -> anyhow::Result<Bus> {
    let bus = Bus::start(cfg, name)?;
    match tokio::time::timeout(BROKER_PATIENCE, bus.wait_connected()).await {
        Ok(Ok(())) => Ok(bus),
        Ok(Err(e)) => Err(e.into()),
        Err(_) => {
            bus.close().await;
            bail!(
                "no AMQP connection to the broker (--amqp-url) within {} s: is RabbitMQ running \
                 (`make services`)?",
                BROKER_PATIENCE.as_secs()
            )
        }
    }
}

/// Deletes the topology `bus` declared under its prefix (exchanges, quorum queues), bounded.
pub async fn delete_topology(bus: &Bus) -> anyhow::Result<()> {
    let deleted = tokio::time::timeout(Duration::from_secs(30), bus.delete_topology()).await;
    Ok(deleted.context("deleting the topology timed out")??)
}

/// `GET /stats` of a peer: `{"conns", "rss"}` (for cross-checks; the sampler is authoritative).
pub async fn peer_stats(target: &Target) -> anyhow::Result<serde_json::Value> {
    let mut conn = HttpConn::connect(&target.endpoint, PEER_HTTP_TIMEOUT).await?;
    let answer = conn.request(Method::GET, "/stats", None, None).await?;
    if !answer.is_success() {
        bail!("GET /stats: HTTP {}", answer.status);
    }
    answer.json()
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
