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
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'self'";

/// Adds the security headers; only `/r/{slug}/embed` may be framed by other sites.
pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let embeddable = req.path().ends_with("/embed");
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    let frame = if embeddable {
        "frame-ancestors *"
    } else {
        "frame-ancestors 'none'"
    };
    if let Ok(value) = header::HeaderValue::from_str(&format!("{CSP}; {frame}")) {
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

/// The answer to a cross-site form post.
pub fn forbidden_cross_site() -> HttpResponse {
    HttpResponse::Forbidden()
        .content_type("text/plain; charset=utf-8")
        .body("This form must be sent from this site.")
}
