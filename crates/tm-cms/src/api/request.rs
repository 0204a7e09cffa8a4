//! What handlers read off a request besides its body: the bearer token, the client address and
//! the participant id.

use std::net::IpAddr;

use actix_web::http::header::HeaderMap;
use actix_web::HttpRequest;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};

use crate::engine::{secrets, Engine};

/// `Authorization: Bearer <token>`, if present.
pub fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    let token = token.trim();
    (!token.is_empty()).then(|| token.to_owned())
}

/// The client's address, as the rate limits see it.
pub fn client_ip(req: &HttpRequest, engine: &Engine) -> String {
    match req.peer_addr() {
        Some(peer) => client_address(peer.ip(), req.headers(), &engine.settings.http.trusted_proxies).to_string(),
        None => "unknown".to_owned(),
    }
}

/// The peer itself, unless it is a trusted proxy (`http.trusted_proxies`, nginx): then the
/// client it names in `X-Real-IP`, or else the last address in `X-Forwarded-For` (the one the
/// proxy added; anything before it is the client's own claim). Headers from any other peer
/// are ignored: a client could write them to pick its own address and dodge the limits.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> IpAddr {
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let real_ip = header("x-real-ip").and_then(|v| v.trim().parse().ok());
    let forwarded = || {
        header("x-forwarded-for")
            .and_then(|v| v.rsplit(',').next())
            .and_then(|last| last.trim().parse().ok())
    };
    real_ip.or_else(forwarded).unwrap_or(peer)
}

/// The participant id of a post without a join token: the browser's signed `tm_pid` cookie
/// when it carries one, else one derived from the client address (API clients and scripts),
/// salted so it does not reveal it.
pub fn participant_id(req: &HttpRequest, engine: &Engine) -> String {
    if let Some(id) = crate::web::participant::from_cookie(req, engine) {
        return id;
    }
    let ip = client_ip(req, engine);
    let salt = URL_SAFE_NO_PAD.encode(engine.keys().address_participant);
    format!("ip-{}", &secrets::sha256_hex(&format!("{salt}|{ip}"))[..20])
}

/// The participant id a `/join` puts in its token: the browser's signed `tm_pid` cookie when
/// it carries one, else a fresh one, so every API join is a participant of its own.
pub fn joining_participant_id(req: &HttpRequest, engine: &Engine) -> String {
    crate::web::participant::from_cookie(req, engine).unwrap_or_else(crate::web::participant::new_id)
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn forwarded_headers_count_only_from_a_trusted_proxy() {
        let proxy = [ip("127.0.0.1")];
        let real = headers(&[("x-real-ip", "203.0.113.7")]);
        assert_eq!(client_address(ip("127.0.0.1"), &real, &proxy), ip("203.0.113.7"));
        assert_eq!(client_address(ip("198.51.100.1"), &real, &proxy), ip("198.51.100.1"));
        // The client wrote the first entry; the proxy appended the last.
        let chain = headers(&[("x-forwarded-for", "10.9.9.9, 203.0.113.8")]);
        assert_eq!(client_address(ip("127.0.0.1"), &chain, &proxy), ip("203.0.113.8"));
        let junk = headers(&[("x-real-ip", "not an address")]);
        assert_eq!(client_address(ip("127.0.0.1"), &junk, &proxy), ip("127.0.0.1"));
        assert_eq!(client_address(ip("127.0.0.1"), &real, &[]), ip("127.0.0.1"));
    }
}
