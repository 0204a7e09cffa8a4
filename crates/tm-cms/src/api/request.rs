//! What handlers read off a request besides its body: the bearer token, the client address and
//! the participant id.

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
