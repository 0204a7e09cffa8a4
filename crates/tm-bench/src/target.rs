//! The server under test: where it listens (loopback only), how subscribers and publishers address
//! a room, and what kind it is (a reference peer, or tm-gateway).
//!
//! Rooms are named (`lat`, `room17`) everywhere in tm-bench. The peers take the name as is;
//! tm-gateway rooms are numeric, so [`room_id`] maps a name to a [`RoomId`] that is stable within
//! this process and fresh for every process (see there why).

use std::collections::HashMap;
use std::hash::{BuildHasher as _, RandomState};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use tm_core::event::RoomId;
use tm_core::{JoinClaims, JoinTokenError, Role};

/// What kind of server is measured; decides the subscribe path and the publisher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetKind {
    /// A reference peer from `shared/bench/peers/`: `/ws?room=R`, `POST /pub?room=R`, `/pubws?room=R`.
    Peer,
    /// tm-gateway: subscribers join with a token, messages come in over AMQP (`tm.events`).
    Gateway,
}

impl TargetKind {
    /// The lower-case name used in results.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Peer => "peer",
            Self::Gateway => "gateway",
        }
    }
}

/// Errors in a `--url` or `--cms-url`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UrlError {
    /// Not the expected shape (`ws://HOST:PORT/PATH`, `http://HOST:PORT`).
    #[error("expected {expected}, got {got:?}")]
    Shape { expected: &'static str, got: String },
    /// Not on the loopback network: this tool only ever sends to this machine.
    #[error("{0} is not a loopback address; tm-bench only targets 127.0.0.0/8 or ::1")]
    NotLoopback(SocketAddr),
}

/// Where a server listens: a loopback address, and the `Host:` header that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Socket address (loopback).
    pub addr: SocketAddr,
    /// `Host:` header value.
    pub host: String,
}

impl Endpoint {
    /// Splits `<scheme>HOST:PORT[/PATH]` into the endpoint and the path (empty when none). HOST
    /// must be a literal loopback address (`127.0.0.1`, `[::1]`), never a name to resolve.
    fn parse<'a>(url: &'a str, scheme: &str, expected: &'static str) -> Result<(Self, &'a str), UrlError> {
        let shape = || UrlError::Shape {
            expected,
            got: url.into(),
        };
        let rest = url.strip_prefix(scheme).ok_or_else(shape)?;
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let addr: SocketAddr = host.parse().map_err(|_| shape())?;
        if !addr.ip().is_loopback() {
            return Err(UrlError::NotLoopback(addr));
        }
        let host = host.to_string();
        Ok((Self { addr, host }, path))
    }

    /// Parses `http://127.0.0.1:PORT` (or `http://[::1]:PORT`, with or without a final `/`);
    /// refuses anything off loopback, host names, other schemes and paths.
    pub fn parse_http(url: &str) -> Result<Self, UrlError> {
        const EXPECTED: &str = "http://127.0.0.1:PORT";
        match Self::parse(url, "http://", EXPECTED)? {
            (endpoint, "" | "/") => Ok(endpoint),
            _ => Err(UrlError::Shape {
                expected: EXPECTED,
                got: url.into(),
            }),
        }
    }
}

/// Why a gateway subscriber cannot join.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    /// The gateway kind was asked for a join message without a secret to sign it with.
    #[error("--target-kind gateway needs the gateway's join-token secret (--join-secret or TM_BENCH_JOIN_SECRET)")]
    NoSecret,
    /// The token could not be signed (typically a secret shorter than 32 bytes).
    #[error("cannot sign a join token")]
    Token(#[from] JoinTokenError),
    /// The target was given tokens per room (from tm-cms), and none for this room.
    #[error("no join token was given for room {0:?}")]
    NoToken(String),
}

/// Room ids fit in 53 bits: they travel in JSON, and browsers read JSON numbers as doubles.
const ROOM_ID_BITS: u32 = 53;

/// The tm-gateway room id for bench room `name`: the same for the whole life of this process,
/// different in the next one.
///
/// The gateway keeps a room, with the last seq it saw, for `rooms.linger_secs` after its last
/// subscriber leaves. A later tm-bench process restarts its seqs at 1; on a reused room id the
/// gateway would drop those as duplicates (or reset every subscriber on a jump). Hashing with
/// keys drawn at random once per process keeps ids from one run away from the rooms another
/// left behind.
pub fn room_id(name: &str) -> RoomId {
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    let hash = KEYS.get_or_init(RandomState::new).hash_one(name);
    // +1: room id 0 reads as "no room" too easily.
    (hash & ((1 << ROOM_ID_BITS) - 1)) + 1
}

/// Gateway join messages, one per room (a fleet joins thousands of sockets to the same few
/// rooms): signed here with the gateway's secret (S1–S6), or made from tokens tm-cms issued
/// (S7), which take precedence.
struct JoinSigner {
    /// Empty when only given tokens are used.
    secret: Vec<u8>,
    tokens: Mutex<HashMap<String, Arc<[u8]>>>,
}

/// `{"type":"join","token":…}`. No `since`: a bench socket wants the live stream from now on.
fn join_frame(token: &str) -> Arc<[u8]> {
    serde_json::json!({"type": "join", "token": token})
        .to_string()
        .into_bytes()
        .into()
}

impl std::fmt::Debug for JoinSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinSigner").finish_non_exhaustive()
    }
}

impl JoinSigner {
    /// `{"type":"join","token":…}` for `room`: the given token, or one signed on first use.
    fn message(&self, room: &str) -> Result<Arc<[u8]>, JoinError> {
        if let Some(m) = self.tokens.lock().ok().and_then(|t| t.get(room).cloned()) {
            return Ok(m);
        }
        if self.secret.is_empty() {
            return Err(JoinError::NoToken(room.to_string()));
        }
        let claims = JoinClaims {
            room_id: room_id(room),
            slug: room.to_string(),
            role: Role::Participant,
            participant_id: "bench".into(),
            max_length: 500,
            // A day outlives any scenario (`--max-seconds` defaults to 15 minutes).
            exp: time::OffsetDateTime::now_utc().unix_timestamp() + 86_400,
        };
        let m = join_frame(&claims.sign(&self.secret)?);
        if let Ok(mut t) = self.tokens.lock() {
            t.insert(room.to_string(), m.clone());
        }
        Ok(m)
    }
}

/// A parsed target.
#[derive(Debug, Clone)]
pub struct Target {
    pub kind: TargetKind,
    /// Label in the results (e.g. `uws`, `node-ws`, `tm-gateway`).
    pub name: String,
    /// Where it listens.
    pub endpoint: Endpoint,
    /// Subscribe path from the URL, e.g. `/ws`.
    pub path: String,
    /// Join-token signer (gateway kind only).
    join: Option<Arc<JoinSigner>>,
}

impl Target {
    /// Parses `ws://127.0.0.1:9002/ws`; refuses anything off loopback.
    pub fn parse(url: &str, kind: TargetKind, name: String) -> Result<Self, UrlError> {
        let (endpoint, path) = Endpoint::parse(url, "ws://", "ws://127.0.0.1:PORT/PATH")?;
        Ok(Self {
            kind,
            name,
            endpoint,
            path: if path.is_empty() { "/" } else { path }.to_string(),
            join: None,
        })
    }

    /// Gives the target the secret tm-gateway verifies join tokens with (its `tokens.secret`).
    /// Refuses a secret the gateway would refuse too (shorter than 32 bytes).
    pub fn with_join_secret(mut self, secret: &[u8]) -> Result<Self, JoinError> {
        let signer = JoinSigner {
            secret: secret.to_vec(),
            tokens: Mutex::default(),
        };
        // Sign once now so that a bad secret fails before any connection is opened.
        signer.message("")?;
        self.join = Some(Arc::new(signer));
        Ok(self)
    }

    /// Gives the target join tokens issued elsewhere (by tm-cms, `POST /api/v1/rooms/{slug}/join`)
    /// as `(room, token)`: subscribers of those rooms join with them instead of self-signed ones.
    /// Rooms without a given token are still signed when the target has a secret.
    pub fn with_join_tokens(mut self, tokens: impl IntoIterator<Item = (String, String)>) -> Self {
        let signer = self.join.get_or_insert_with(|| {
            Arc::new(JoinSigner {
                secret: Vec::new(),
                tokens: Mutex::default(),
            })
        });
        if let Ok(mut t) = signer.tokens.lock() {
            t.extend(tokens.into_iter().map(|(room, token)| (room, join_frame(&token))));
        }
        self
    }

    /// Request target for a subscriber of `room`: `/ws?room=R` for a peer; the URL's path as is
    /// for tm-gateway, where the room comes with the join message.
    pub fn subscribe_path(&self, room: &str) -> String {
        match self.kind {
            TargetKind::Peer => {
                let sep = if self.path.contains('?') { '&' } else { '?' };
                format!("{}{sep}room={room}", self.path)
            }
            TargetKind::Gateway => self.path.clone(),
        }
    }

    /// The first text frame a subscriber sends after the handshake, if the kind needs one:
    /// for tm-gateway `{"type":"join","token":"<join token for room>"}` (docs/protocol.md).
    pub fn join_message(&self, room: &str) -> Result<Option<Arc<[u8]>>, JoinError> {
        match self.kind {
            TargetKind::Peer => Ok(None),
            TargetKind::Gateway => {
                let signer = self.join.as_ref().ok_or(JoinError::NoSecret)?;
                signer.message(room).map(Some)
            }
        }
    }

    /// How a data message that is a delivery begins; other data messages (tm-gateway's
    /// `joined`, `presence`, `reset`, `error` frames) are not counted as deliveries. Empty: every
    /// data message is one (the peers send nothing else).
    pub fn delivery_prefix(&self) -> &'static [u8] {
        match self.kind {
            TargetKind::Peer => b"",
            // The gateway serialises `type` first and without spaces (protocol.rs).
            TargetKind::Gateway => br#"{"type":"event""#,
        }
    }
}

/// How a gateway `reset` frame begins: the gateway saw a gap (or an outage) and dropped the
/// socket from its room.
pub const GATEWAY_RESET_PREFIX: &[u8] = br#"{"type":"reset""#;

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef-bench";

    fn gateway() -> Target {
        Target::parse("ws://127.0.0.1:9003/ws", TargetKind::Gateway, "gw".into()).unwrap()
    }

    fn join_json(t: &Target, room: &str) -> serde_json::Value {
        serde_json::from_slice(&t.join_message(room).unwrap().unwrap()).unwrap()
    }

    #[test]
    fn parse_and_paths() {
        let t = Target::parse("ws://127.0.0.1:9002/ws", TargetKind::Peer, "uws".into()).unwrap();
        assert_eq!(t.endpoint.addr.port(), 9002);
        assert_eq!(t.subscribe_path("r1"), "/ws?room=r1");
        for bad in ["ws://10.0.0.1:80/ws", "http://127.0.0.1:80/ws", "ws://localhost:80/ws"] {
            assert!(Target::parse(bad, TargetKind::Peer, "x".into()).is_err(), "{bad}");
        }
        assert!(t.join_message("r1").unwrap().is_none());
        assert_eq!(gateway().subscribe_path("r1"), "/ws");
        assert!(matches!(gateway().join_message("r1"), Err(JoinError::NoSecret)));
    }

    #[test]
    fn http_endpoints_are_loopback_only() {
        let b = Endpoint::parse_http("http://127.0.0.1:8080").unwrap();
        assert_eq!(b.addr.port(), 8080);
        assert_eq!(b.host, "127.0.0.1:8080");
        assert_eq!(Endpoint::parse_http("http://127.0.0.1:8080/").unwrap(), b);
        assert!(Endpoint::parse_http("http://[::1]:9000").is_ok());
        assert!(Endpoint::parse_http("http://127.0.0.5:1").is_ok());
        let far = Endpoint::parse_http("http://10.1.2.3:8080");
        assert!(matches!(far, Err(UrlError::NotLoopback(_))));
        for bad in [
            "https://127.0.0.1:8080",
            "ws://127.0.0.1:8080",
            "http://localhost:8080",
            "http://127.0.0.1",
            "http://127.0.0.1:8080/api",
            "http://127.0.0.1:8080?x=1",
            "127.0.0.1:8080",
        ] {
            assert!(
                matches!(Endpoint::parse_http(bad), Err(UrlError::Shape { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn room_ids_are_stable_distinct_and_53_bits() {
        assert_eq!(room_id("bench"), room_id("bench"));
        assert_ne!(room_id("bench"), room_id("room17"));
        let ids: std::collections::HashSet<RoomId> = (0..1000).map(|i| room_id(&format!("room{i}"))).collect();
        assert_eq!(ids.len(), 1000);
        assert!(ids.iter().all(|&id| (1..=1 << ROOM_ID_BITS).contains(&id)));
    }

    #[test]
    fn the_join_message_carries_a_token_the_gateway_accepts() {
        let g = gateway().with_join_secret(SECRET).unwrap();
        let msg = g.join_message("room17").unwrap().unwrap();
        assert!(!msg.contains(&b'?'));
        let v = join_json(&g, "room17");
        assert_eq!(v["type"], "join");
        assert!(v.get("since").is_none());
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = JoinClaims::verify(v["token"].as_str().unwrap(), SECRET, now).unwrap();
        assert_eq!(claims.room_id, room_id("room17"));
        assert_eq!(claims.slug, "room17");
        assert_eq!(claims.role, Role::Participant);
        assert_eq!(claims.participant_id, "bench");
        assert_eq!(claims.max_length, 500);
        assert!(claims.exp > now + 86_000);
        // Cached: the same bytes for the same room, another token for another room.
        assert_eq!(g.join_message("room17").unwrap().unwrap(), msg);
        assert_ne!(g.join_message("room18").unwrap().unwrap(), msg);
        let other = b"ffffffffffffffffffffffffffffffff";
        assert!(JoinClaims::verify(v["token"].as_str().unwrap(), other, now).is_err());
        let weak = gateway().with_join_secret(b"short");
        assert!(matches!(weak, Err(JoinError::Token(JoinTokenError::WeakSecret))));
    }

    #[test]
    fn given_tokens_are_used_as_they_are() {
        let given = || [("b7-1".to_string(), "tok.en1".to_string())];
        let g = gateway().with_join_tokens(given());
        assert_eq!(
            join_json(&g, "b7-1"),
            serde_json::json!({"type": "join", "token": "tok.en1"})
        );
        // No secret: a room without a given token cannot join.
        assert!(matches!(g.join_message("other"), Err(JoinError::NoToken(r)) if r == "other"));
        // With a secret, given tokens win and other rooms are still signed.
        let g = gateway().with_join_secret(SECRET).unwrap().with_join_tokens(given());
        assert_eq!(join_json(&g, "b7-1")["token"], "tok.en1");
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        assert!(JoinClaims::verify(join_json(&g, "room2")["token"].as_str().unwrap(), SECRET, now).is_ok());
        // A peer ignores tokens.
        let p = Target::parse("ws://127.0.0.1:9002/ws", TargetKind::Peer, "uws".into()).unwrap();
        assert!(p.with_join_tokens(given()).join_message("b7-1").unwrap().is_none());
    }
}
