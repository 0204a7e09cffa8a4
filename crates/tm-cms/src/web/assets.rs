//! Templates and static files, compiled into the binary so a release build is one file.
//!
//! Pages link each static file by a URL that names its content: `/static/tm.<hash>.css`, where
//! `<hash>` is the start of the file's SHA-256 (templates call `static_url(name="tm.css")`). Such
//! a URL always means the same bytes, so it is cached for a year as immutable, and an upgrade that
//! changes a file changes its URL, so browsers fetch the new one. The plain name
//! (`/static/tm.css`) and a hash that is not the current one (a page from an older or newer
//! instance during a rolling upgrade) still answer, with the current bytes, but are revalidated
//! on every use instead (`no-cache`, with an `ETag`).

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::{http::header, web, HttpRequest, HttpResponse};
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
    (
        "controls.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/controls.js"),
    ),
    (
        "localtime.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/localtime.js"),
    ),
    ("favicon.svg", "image/svg+xml", include_str!("../../static/favicon.svg")),
];

/// How many hex digits of the SHA-256 a versioned URL carries (48 bits: no two versions of a
/// file collide in practice).
const HASH_HEX_DIGITS: usize = 12;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

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
    ("confirm_close.html", include_str!("../../templates/confirm_close.html")),
    ("closed.html", include_str!("../../templates/closed.html")),
    ("page.html", include_str!("../../templates/page.html")),
    ("source.html", include_str!("../../templates/source.html")),
    ("admin/login.html", include_str!("../../templates/admin/login.html")),
    ("admin/index.html", include_str!("../../templates/admin/index.html")),
    (
        "admin/page_edit.html",
        include_str!("../../templates/admin/page_edit.html"),
    ),
];

/// One static file and the name that carries its content hash.
struct Asset {
    content_type: &'static str,
    body: &'static str,
    hash: String,
    /// `tm.<hash>.css`.
    versioned: String,
}

/// Every static file by its plain name, hashed once.
fn assets() -> &'static HashMap<&'static str, Asset> {
    static ASSETS: OnceLock<HashMap<&'static str, Asset>> = OnceLock::new();
    ASSETS.get_or_init(|| {
        STATIC_FILES
            .iter()
            .map(|&(name, content_type, body)| {
                let digest = Sha256::digest(body.as_bytes());
                let hash: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                let hash = hash[..HASH_HEX_DIGITS].to_owned();
                let (stem, extension) = split_extension(name);
                let versioned = format!("{stem}.{hash}.{extension}");
                (
                    name,
                    Asset {
                        content_type,
                        body,
                        hash,
                        versioned,
                    },
                )
            })
            .collect()
    })
}

fn split_extension(name: &str) -> (&str, &str) {
    name.rsplit_once('.').unwrap_or((name, ""))
}

/// The versioned URL of the static file `name`, or `None` if there is no such file.
pub fn url(name: &str) -> Option<String> {
    assets().get(name).map(|asset| format!("/static/{}", asset.versioned))
}

/// The tera function `static_url(name="tm.css")`. A page that names a missing file fails to
/// render (and the tests with it) instead of linking to a 404. Its output is a path of ours made
/// of file names and hex digits, so it is marked safe: autoescaping would write `/` as `&#x2F;`.
pub struct StaticUrl;

impl tera::Function for StaticUrl {
    fn call(&self, args: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
        let name = args
            .get("name")
            .and_then(tera::Value::as_str)
            .ok_or_else(|| tera::Error::msg("static_url needs name=\"<file>\""))?;
        url(name)
            .map(tera::Value::String)
            .ok_or_else(|| tera::Error::msg(format!("static_url: no static file {name:?}")))
    }

    fn is_safe(&self) -> bool {
        true
    }
}

/// The file a requested name means, and whether the name is its current versioned one.
fn lookup(requested: &str) -> Option<(&'static Asset, bool)> {
    let assets = assets();
    if let Some(asset) = assets.get(requested) {
        return Some((asset, false));
    }
    // `stem.<hash>.ext`: the file `stem.ext`, in this version or another.
    let (rest, extension) = split_extension(requested);
    let (stem, hash) = split_extension(rest);
    if hash.len() != HASH_HEX_DIGITS || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let asset = assets.get(format!("{stem}.{extension}").as_str())?;
    Some((asset, asset.hash == hash))
}

/// `GET /static/{name}`.
pub async fn serve_static(req: HttpRequest, name: web::Path<String>) -> HttpResponse {
    match lookup(&name) {
        Some((asset, current)) => respond(&req, asset, if current { IMMUTABLE } else { REVALIDATE }),
        None => HttpResponse::NotFound().finish(),
    }
}

/// `GET /favicon.ico`: browsers ask for it on pages that name no icon (JSON answers, for one).
/// The SVG icon under that name, revalidated daily.
pub async fn favicon(req: HttpRequest) -> HttpResponse {
    match assets().get("favicon.svg") {
        Some(asset) => respond(&req, asset, "public, max-age=86400"),
        None => HttpResponse::NotFound().finish(),
    }
}

fn respond(req: &HttpRequest, asset: &Asset, cache_control: &'static str) -> HttpResponse {
    let etag = format!("\"{}\"", asset.hash);
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"));
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::ETAG, etag));
    if unchanged {
        return response.finish();
    }
    response
        .insert_header((header::CONTENT_TYPE, asset.content_type))
        .body(asset.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_names_resolve_and_other_hashes_are_not_current() {
        let url = url("tm.css").unwrap();
        let versioned = url.strip_prefix("/static/").unwrap();
        assert!(versioned.starts_with("tm.") && versioned.ends_with(".css"), "{url}");
        assert!(matches!(lookup(versioned), Some((_, true))));
        assert!(matches!(lookup("tm.css"), Some((_, false))));
        assert!(matches!(lookup("tm.0123456789ab.css"), Some((_, false))));
        assert!(lookup("tm.0123.css").is_none(), "not a hash of ours");
        assert!(lookup("nope.css").is_none());
        assert!(lookup("nope.0123456789ab.css").is_none());
        assert_eq!(super::url("missing.js"), None);
    }
}
