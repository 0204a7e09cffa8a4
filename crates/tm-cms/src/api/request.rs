//! What handlers read off a request besides its body: the bearer token, the client address and
//! the participant id.

use actix_web::HttpRequest;

use crate::engine::{secrets, Engine};

/// The cookie the room page sets to keep a browser's participant id.
pub const PARTICIPANT_COOKIE: &str = "tm_pid";

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

/// The client's address: the peer, or `X-Forwarded-For`'s first hop behind a trusted proxy.
pub fn client_ip(req: &HttpRequest, engine: &Engine) -> String {
    if engine.settings.http.trust_forwarded_for {
        if let Some(ip) = req.connection_info().realip_remote_addr() {
            return ip.to_owned();
        }
    }
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The participant id: the browser's cookie when it carries a well-formed one, else one
/// derived from the client address (API clients and scripts), salted so it does not reveal it.
pub fn participant_id(req: &HttpRequest, engine: &Engine) -> String {
    if let Some(cookie) = req.cookie(PARTICIPANT_COOKIE) {
        let value = cookie.value();
        let well_formed = (8..=64).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if well_formed {
            return value.to_owned();
        }
    }
    let ip = client_ip(req, engine);
    let salted = format!("{}|{ip}", engine.settings.join.secret.expose());
    format!("ip-{}", &secrets::sha256_hex(&salted)[..20])
}
