//! Response headers every page gets, and the CSRF rule for form posts.
//!
//! CSRF: session and owner cookies are `SameSite=Strict`/`Lax`, and every state-changing form
//! post must come from this site: a browser's `Origin` (or, failing that, `Sec-Fetch-Site`)
//! has to name us. Requests without either header (curl, old clients) are let through: they
//! carry no ambient browser credentials an attacker could borrow.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::HttpResponse;

/// Scripts and styles from this origin only, no plugins, forms only to us. Images may be
/// `data:` (the QR code is inline SVG, not an image, but favicons and the like may be).
/// Connections: this site, WebSockets, and (see [`ContentSecurityPolicy`]) the gateway's own
/// origin for its server-sent events.
const CSP_BEFORE_CONNECT: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self' ws: wss:";
const CSP_AFTER_CONNECT: &str = "object-src 'none'; base-uri 'none'; form-action 'self'";

/// The pages' Content-Security-Policy, built once at start-up from `http.gateway_url`: the
/// live script falls back to the gateway's `/sse` over plain HTTP(S) where WebSockets are
/// blocked, so the gateway's HTTP origin (`ws://host:port/ws` → `http://host:port`) must be a
/// `connect-src` too.
#[derive(Debug, Clone)]
pub struct ContentSecurityPolicy {
    /// Everything before `frame-ancestors`.
    policy: String,
}

impl ContentSecurityPolicy {
    pub fn new(gateway_url: &str) -> Self {
        let gateway = gateway_http_origin(gateway_url)
            .map(|origin| format!(" {origin}"))
            .unwrap_or_default();
        ContentSecurityPolicy {
            policy: format!("{CSP_BEFORE_CONNECT}{gateway}; {CSP_AFTER_CONNECT}"),
        }
    }
}

/// `ws://host:port/ws` → `http://host:port` (`wss` → `https`); `None` for anything else.
fn gateway_http_origin(gateway_url: &str) -> Option<String> {
    let (scheme, rest) = gateway_url.split_once("://")?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "ws" | "http" => "http",
        "wss" | "https" => "https",
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next().filter(|a| !a.is_empty())?;
    // Only what a CSP source may hold: no quotes, semicolons or spaces from a bad setting.
    if !authority
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    {
        return None;
    }
    Some(format!("{scheme}://{authority}"))
}

/// Adds the security headers; only `/r/{slug}/embed` may be framed by other sites.
pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let embeddable = req.path().ends_with("/embed");
    let policy = req
        .app_data::<actix_web::web::Data<ContentSecurityPolicy>>()
        .map(|csp| csp.policy.clone())
        .unwrap_or_else(|| format!("{CSP_BEFORE_CONNECT}; {CSP_AFTER_CONNECT}"));
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    let frame = if embeddable {
        "frame-ancestors *"
    } else {
        "frame-ancestors 'none'"
    };
    if let Ok(value) = header::HeaderValue::from_str(&format!("{policy}; {frame}")) {
        h.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    h.insert(header::REFERRER_POLICY, header::HeaderValue::from_static("same-origin"));
    if !embeddable {
        h.insert(header::X_FRAME_OPTIONS, header::HeaderValue::from_static("DENY"));
    }
    Ok(res)
}

/// Whether a state-changing request comes from one of our own pages.
pub fn same_origin(req: &actix_web::HttpRequest) -> bool {
    if req.method() == Method::GET || req.method() == Method::HEAD {
        return true;
    }
    let host = req.connection_info().host().to_owned();
    if let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or(origin);
        return origin_host == host;
    }
    match req.headers().get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some(site) => site == "same-origin" || site == "none",
        None => true,
    }
}

/// The answer to a cross-site form post, in the request's language.
pub fn forbidden_cross_site() -> HttpResponse {
    HttpResponse::Forbidden()
        .content_type("text/plain; charset=utf-8")
        .body(crate::i18n::current().text("form-cross-site", None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gateways_http_origin_joins_connect_src_for_its_event_streams() {
        assert_eq!(
            gateway_http_origin("ws://127.0.0.1:8081/ws").as_deref(),
            Some("http://127.0.0.1:8081")
        );
        assert_eq!(
            gateway_http_origin("WSS://tm.example.org/ws").as_deref(),
            Some("https://tm.example.org")
        );
        assert_eq!(gateway_http_origin("/ws"), None);
        assert_eq!(gateway_http_origin("ws://bad host;script-src *"), None);
        let csp = ContentSecurityPolicy::new("ws://127.0.0.1:8081/ws");
        assert!(
            csp.policy
                .contains("connect-src 'self' ws: wss: http://127.0.0.1:8081; object-src"),
            "{}",
            csp.policy
        );
    }
}
