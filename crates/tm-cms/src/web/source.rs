//! `GET /source`: where a visitor gets this server's source code, as the AGPL asks of a network
//! service. With `http.source_url` set it redirects there (the operator's own, possibly
//! modified, tree); without it, it shows the licence and the version so the page is never a dead end.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use tera::Context;

use super::context::{EngineData, SITE_NAME};
use super::view::render;

const LICENSE: &str = include_str!("../../../../LICENSE");

pub async fn show(engine: EngineData) -> HttpResponse {
    let url = engine.settings.http.source_url.trim();
    if !url.is_empty() {
        return HttpResponse::Found()
            .insert_header((header::LOCATION, url.to_owned()))
            .finish();
    }
    let mut context = Context::new();
    context.insert("version", env!("CARGO_PKG_VERSION"));
    context.insert("license", LICENSE);
    render(StatusCode::OK, "source.html", context, SITE_NAME)
}
