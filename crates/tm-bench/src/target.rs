//! The server under test: where it listens (loopback only), how subscribers and publishers address
//! a room, and what kind it is (a reference peer, or tm-gateway).
//!
//! Rooms are named (`lat`, `room17`) everywhere in tm-bench. The peers take the name as is;
//! tm-gateway rooms are numeric, so [`room_id`] maps a name to a [`RoomId`] that is stable within
//! this process and fresh for every process (see there why).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use tm_core::event::RoomId;
use tm_core::{JoinClaims, JoinTokenError, Role};

/// What kind of server is measured; decides the subscribe path and the publisher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    /// A reference peer from `shared/bench/peers/`: `/ws?room=R`, `POST /pub?room=R`, `/pubws?room=R`.
    Peer,
    /// tm-gateway: subscribers join with a token, messages come in over AMQP (`tm.events`).
    Gateway,
}

impl TargetKind {
    /// The lower-case name used in results.
    #[must_use]
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
    Shape {
        /// The shape asked for.
        expected: &'static str,
        /// What was given.
        got: String,
    },
    /// Not on the loopback network: this tool only ever sends to this machine.
    #[error("{0} is not a loopback address; tm-bench only targets 127.0.0.0/8 or ::1")]
    NotLoopback(SocketAddr),
}

/// The socket address of `host` (`127.0.0.1:PORT`, `[::1]:PORT`) from `url`: literal and on
/// loopback, never a name to resolve.
pub(crate) fn loopback_addr(url: &str, host: &str, expected: &'static str) -> Result<SocketAddr, UrlError> {
    let addr: SocketAddr = host.parse().map_err(|_| UrlError::Shape {
        expected,
        got: url.into(),
    })?;
    if !addr.ip().is_loopback() {
        return Err(UrlError::NotLoopback(addr));
    }
    Ok(addr)
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

/// FNV-1a, 64 bits: tiny, deterministic, and good enough to spread bench room names.
fn fnv1a64(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// The tm-gateway room id for bench room `name`: the same for the whole life of this process,
/// different in the next one.
///
/// The gateway keeps a room, with the last seq it saw, for `rooms.linger_secs` after its last
/// subscriber leaves. A later tm-bench process restarts its seqs at 1; on a reused room id the
/// gateway would drop those as duplicates (or reset every subscriber on a jump). A per-process
/// random nonce in the hash keeps ids from one run away from the rooms another left behind.
#[must_use]
pub fn room_id(name: &str) -> RoomId {
    static NONCE: OnceLock<u64> = OnceLock::new();
    let nonce = *NONCE.get_or_init(rand::random);
    // +1: room id 0 reads as "no room" too easily.
    (fnv1a64(&[&nonce.to_le_bytes(), name.as_bytes()]) & ((1 << ROOM_ID_BITS) - 1)) + 1
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
            // The bench does not react: the gateway's default set is fine.
            reactions: Vec::new(),
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
    /// Kind of server.
    pub kind: TargetKind,
    /// Label in the results (e.g. `uws`, `node-ws`, `tm-gateway`).
    pub name: String,
    /// Socket address (loopback).
    pub addr: SocketAddr,
    /// `Host:` header value.
    pub host: String,
    /// Subscribe path from the URL, e.g. `/ws`.
    pub path: String,
    /// Join-token signer (gateway kind only).
    join: Option<Arc<JoinSigner>>,
}

impl Target {
    /// Parses `ws://127.0.0.1:9002/ws`; refuses anything off loopback.
    pub fn parse(url: &str, kind: TargetKind, name: String) -> Result<Self, UrlError> {
        const EXPECTED: &str = "ws://127.0.0.1:PORT/PATH";
        let rest = url.strip_prefix("ws://").ok_or_else(|| UrlError::Shape {
            expected: EXPECTED,
            got: url.into(),
        })?;
        let (host, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let addr = loopback_addr(url, host, EXPECTED)?;
        Ok(Self {
            kind,
            name,
            addr,
            host: host.to_string(),
            path: path.to_string(),
            join: None,
        })
    }

    /// Gives the target the secret tm-gateway verifies join tokens with (its `tokens.secret`).
    /// Refuses a secret the gateway would refuse too (shorter than 32 bytes).
    pub fn with_join_secret(mut self, secret: &[u8]) -> Result<Self, JoinError> {
        let signer = JoinSigner {
            secret: secret.to_vec(),
            tokens: Mutex::new(HashMap::new()),
        };
        // Sign once now so that a bad secret fails before any connection is opened.
        signer.message("")?;
        self.join = Some(Arc::new(signer));
        Ok(self)
    }

    /// Gives the target join tokens issued elsewhere (by tm-cms, `POST /api/v1/rooms/{slug}/join`)
    /// as `(room, token)`: subscribers of those rooms join with them instead of self-signed ones.
    /// Rooms without a given token are still signed when the target has a secret.
    #[must_use]
    pub fn with_join_tokens(mut self, tokens: impl IntoIterator<Item = (String, String)>) -> Self {
        let given: HashMap<String, Arc<[u8]>> = tokens.into_iter().map(|(r, t)| (r, join_frame(&t))).collect();
        let signer = match self.join.take() {
            Some(s) => {
                if let Ok(mut t) = s.tokens.lock() {
                    t.extend(given);
                }
                s
            }
            None => Arc::new(JoinSigner {
                secret: Vec::new(),
                tokens: Mutex::new(given),
            }),
        };
        self.join = Some(signer);
        self
    }

    /// Request target for a subscriber of `room`: `/ws?room=R` for a peer; the URL's path as is
    /// for tm-gateway, where the room comes with the join message.
    #[must_use]
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
    #[must_use]
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

    #[test]
    fn parse_and_paths() {
        let t = Target::parse("ws://127.0.0.1:9002/ws", TargetKind::Peer, "uws".into()).unwrap();
        assert_eq!(t.addr.port(), 9002);
        assert_eq!(t.subscribe_path("r1"), "/ws?room=r1");
        assert!(Target::parse("ws://10.0.0.1:80/ws", TargetKind::Peer, "x".into()).is_err());
        assert!(Target::parse("http://127.0.0.1:80/ws", TargetKind::Peer, "x".into()).is_err());
        assert!(Target::parse("ws://localhost:80/ws", TargetKind::Peer, "x".into()).is_err());
        assert!(t.join_message("r1").unwrap().is_none());
        let g = Target::parse("ws://127.0.0.1:9003/ws", TargetKind::Gateway, "gw".into()).unwrap();
        assert_eq!(g.subscribe_path("r1"), "/ws");
        assert!(matches!(g.join_message("r1"), Err(JoinError::NoSecret)));
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
    fn fnv1a64_matches_the_reference_vectors() {
        assert_eq!(fnv1a64(&[b""]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(&[b"a"]), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(&[b"foo", b"bar"]), fnv1a64(&[b"foobar"]));
    }

    #[test]
    fn the_join_message_carries_a_token_the_gateway_accepts() {
        let secret = b"0123456789abcdef0123456789abcdef-bench";
        let g = Target::parse("ws://127.0.0.1:9003/ws", TargetKind::Gateway, "gw".into())
            .unwrap()
            .with_join_secret(secret)
            .unwrap();
        let msg = g.join_message("room17").unwrap().unwrap();
        assert!(!msg.contains(&b'?'));
        let v: serde_json::Value = serde_json::from_slice(&msg).unwrap();
        assert_eq!(v["type"], "join");
        assert!(v.get("since").is_none());
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = JoinClaims::verify(v["token"].as_str().unwrap(), secret, now).unwrap();
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
        let weak = Target::parse("ws://127.0.0.1:9003/ws", TargetKind::Gateway, "gw".into())
            .unwrap()
            .with_join_secret(b"short");
        assert!(matches!(weak, Err(JoinError::Token(JoinTokenError::WeakSecret))));
    }

    #[test]
    fn given_tokens_are_used_as_they_are() {
        let g = Target::parse("ws://127.0.0.1:9003/ws", TargetKind::Gateway, "gw".into())
            .unwrap()
            .with_join_tokens([("b7-1".to_string(), "tok.en1".to_string())]);
        let v: serde_json::Value = serde_json::from_slice(&g.join_message("b7-1").unwrap().unwrap()).unwrap();
        assert_eq!(v, serde_json::json!({"type": "join", "token": "tok.en1"}));
        // No secret: a room without a given token cannot join.
        assert!(matches!(g.join_message("other"), Err(JoinError::NoToken(r)) if r == "other"));
        // With a secret, given tokens win and other rooms are still signed.
        let secret = b"0123456789abcdef0123456789abcdef-bench";
        let g = Target::parse("ws://127.0.0.1:9003/ws", TargetKind::Gateway, "gw".into())
            .unwrap()
            .with_join_secret(secret)
            .unwrap()
            .with_join_tokens([("b7-1".to_string(), "tok.en1".to_string())]);
        let v: serde_json::Value = serde_json::from_slice(&g.join_message("b7-1").unwrap().unwrap()).unwrap();
        assert_eq!(v["token"], "tok.en1");
        let v: serde_json::Value = serde_json::from_slice(&g.join_message("room2").unwrap().unwrap()).unwrap();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        assert!(JoinClaims::verify(v["token"].as_str().unwrap(), secret, now).is_ok());
        // A peer ignores tokens.
        let p = Target::parse("ws://127.0.0.1:9002/ws", TargetKind::Peer, "uws".into())
            .unwrap()
            .with_join_tokens([("b7-1".to_string(), "t".to_string())]);
        assert!(p.join_message("b7-1").unwrap().is_none());
    }
}
