//! Letting a client in, whatever the transport: `/ws` and `/sse` share the drain refusal, the
//! gateway-wide connection limit, the per-address quota and the origin allow-list, so a client
//! that falls back from one to the other meets the same policy.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Response, StatusCode};
use tokio::sync::OwnedSemaphorePermit;

use super::quota::{client_address, AddressPermit};
use super::{text, Body};
use crate::context::Context;
use crate::metrics::Transport;

/// Held from admission to the end of the connection: its slots in the global and per-address
/// limits, and its place in the connection gauges.
pub(crate) struct ConnectionGuard {
    ctx: Arc<Context>,
    transport: Transport,
    _permits: (OwnedSemaphorePermit, AddressPermit),
}

impl ConnectionGuard {
    pub(crate) fn ctx(&self) -> &Arc<Context> {
        &self.ctx
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.ctx.metrics.connection_closed(self.transport);
    }
}

/// Why a connection was not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    Draining,
    Full,
    AddressFull,
}

impl Refusal {
    /// 503 while draining or at the connection limit (a load balancer tries another gateway),
    /// 429 when the address holds its quota.
    pub(crate) fn into_response(self) -> Response<Body> {
        match self {
            Refusal::Draining => text(StatusCode::SERVICE_UNAVAILABLE, "draining"),
            Refusal::Full => text(StatusCode::SERVICE_UNAVAILABLE, "connection limit reached"),
            Refusal::AddressFull => text(StatusCode::TOO_MANY_REQUESTS, "too many connections from this address"),
        }
    }
}

/// Admits a connection from `peer` (or the client a trusted proxy names). Returns the
/// client's address too.
pub(crate) fn admit(
    ctx: &Arc<Context>,
    peer: SocketAddr,
    headers: &HeaderMap,
    transport: Transport,
) -> Result<(ConnectionGuard, IpAddr), Refusal> {
    if ctx.drain.is_cancelled() {
        ctx.metrics.connections_refused.inc();
        return Err(Refusal::Draining);
    }
    let Ok(permit) = Arc::clone(&ctx.connections).try_acquire_owned() else {
        ctx.metrics.connections_refused.inc();
        return Err(Refusal::Full);
    };
    let client = client_address(peer.ip(), headers, &ctx.settings.http.trusted_proxies);
    let Some(address_permit) = ctx.per_address.try_acquire(client) else {
        ctx.metrics.connections_refused.inc();
        tracing::info!(%client, ?transport, "too many connections from one address; refused with 429");
        return Err(Refusal::AddressFull);
    };
    ctx.metrics.connection_opened(transport);
    let guard = ConnectionGuard {
        ctx: Arc::clone(ctx),
        transport,
        _permits: (permit, address_permit),
    };
    Ok((guard, client))
}

/// No `Origin` (not a browser) or an empty allow-list: allowed. Else an exact match.
pub(crate) fn origin_allowed(allowed: &[String], origin: Option<&HeaderValue>) -> bool {
    let Some(origin) = origin else { return true };
    if allowed.is_empty() {
        return true;
    }
    let origin = origin.to_str().unwrap_or_default().trim_end_matches('/');
    allowed
        .iter()
        .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(origin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_matched_exactly_and_scripts_without_one_are_let_in() {
        let allowed = vec!["http://localhost:8080".to_owned()];
        let check = |o: &'static str| origin_allowed(&allowed, Some(&HeaderValue::from_static(o)));
        assert!(check("http://localhost:8080"));
        assert!(check("HTTP://LOCALHOST:8080/"));
        assert!(!check("http://evil.example"));
        assert!(!check("http://localhost:8080.evil.example"));
        assert!(origin_allowed(&allowed, None));
        assert!(origin_allowed(&[], Some(&HeaderValue::from_static("http://any"))));
    }
}
