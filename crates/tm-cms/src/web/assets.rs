//! Templates and static files, compiled into the binary so a release build is one file.

use std::sync::OnceLock;

use actix_web::{http::header, web, HttpResponse};
use sha2::{Digest, Sha256};

/// `(name, content type, bytes)` of every static file.
const STATIC_FILES: &[(&str, &str, &str)] = &[
    ("tm.css", "text/css; charset=utf-8", include_str!("../../static/tm.css")),
    (
        "live.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/live.js"),
    ),
    (
        "owner.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/owner.js"),
    ),
    (
        "home.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/home.js"),
    ),
];

/// Every template, by the name templates use to extend and import each other.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("macros.html", include_str!("../../templates/macros.html")),
    ("home.html", include_str!("../../templates/home.html")),
    ("room.html", include_str!("../../templates/room.html")),
    ("projector.html", include_str!("../../templates/projector.html")),
    ("embed.html", include_str!("../../templates/embed.html")),
    ("transcript.html", include_str!("../../templates/transcript.html")),
    ("owner.html", include_str!("../../templates/owner.html")),
    ("password.html", include_str!("../../templates/password.html")),
    ("owner_sign_in.html", include_str!("../../templates/owner_sign_in.html")),
    ("moderate.html", include_str!("../../templates/moderate.html")),
    (
        "moderator_sign_in.html",
        include_str!("../../templates/moderator_sign_in.html"),
    ),
    (
        "moderator_link.html",
        include_str!("../../templates/moderator_link.html"),
    ),
    ("error.html", include_str!("../../templates/error.html")),
    ("page.html", include_str!("../../templates/page.html")),
    ("source.html", include_str!("../../templates/source.html")),
    ("admin/login.html", include_str!("../../templates/admin/login.html")),
    ("admin/index.html", include_str!("../../templates/admin/index.html")),
    (
        "admin/page_edit.html",
        include_str!("../../templates/admin/page_edit.html"),
    ),
];

/// A short hash of all static files: `?v=` on asset URLs, so they can be cached forever and
/// still change on upgrade.
pub fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut hasher = Sha256::new();
        for (name, _, body) in STATIC_FILES {
            hasher.update(name.as_bytes());
            hasher.update(body.as_bytes());
        }
        hasher.finalize().iter().take(6).map(|b| format!("{b:02x}")).collect()
    })
}

/// `GET /static/{name}`.
pub async fn serve_static(name: web::Path<String>) -> HttpResponse {
    match STATIC_FILES.iter().find(|(n, _, _)| *n == name.as_str()) {
        Some((_, content_type, body)) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, *content_type))
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(*body),
        None => HttpResponse::NotFound().finish(),
    }
}
