//! The server under test: where it listens (loopback only), how subscribers and publishers address
//! a room, and what kind it is (a reference peer, or tm-gateway).

use std::net::SocketAddr;

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

/// Errors in a `--url`.
#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    /// Not `ws://HOST:PORT/PATH`.
    #[error("expected ws://127.0.0.1:PORT/PATH, got {0:?}")]
    Shape(String),
    /// Not on the loopback network: this tool only ever sends to this machine.
    #[error("{0} is not a loopback address; tm-bench only targets 127.0.0.0/8 or ::1")]
    NotLoopback(SocketAddr),
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
}

impl Target {
    /// Parses `ws://127.0.0.1:9002/ws`; refuses anything off loopback.
    pub fn parse(url: &str, kind: TargetKind, name: String) -> Result<Self, UrlError> {
        let rest = url.strip_prefix("ws://").ok_or_else(|| UrlError::Shape(url.into()))?;
        let (host, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let addr: SocketAddr = host.parse().map_err(|_| UrlError::Shape(url.into()))?;
        if !addr.ip().is_loopback() {
            return Err(UrlError::NotLoopback(addr));
        }
        Ok(Self {
            kind,
            name,
            addr,
            host: host.to_string(),
            path: path.to_string(),
        })
    }

    /// Request target for a subscriber of `room`.
    ///
    /// Gateway extension point: tm-gateway subscribers connect to `/ws` and then send
    /// `{"type":"join","token":…}` (see PROTOCOL.md); the token minting comes with the gateway
    /// publisher. Until then the gateway kind also uses `?room=`.
    #[must_use]
    pub fn subscribe_path(&self, room: &str) -> String {
        let sep = if self.path.contains('?') { '&' } else { '?' };
        format!("{}{sep}room={room}", self.path)
    }

    /// The first text frame a subscriber sends after the handshake, if the kind needs one.
    #[must_use]
    pub fn join_message(&self, _room: &str) -> Option<Vec<u8>> {
        match self.kind {
            TargetKind::Peer => None,
            // Extension point: `{"type":"join","token":"<HMAC join token for room>"}`.
            TargetKind::Gateway => None,
        }
    }
}

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
    }
}
