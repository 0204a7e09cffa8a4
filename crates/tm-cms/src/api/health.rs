//! `/healthz` (the process answers), `/readyz` (database and broker reachable), `/metrics`.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::engine::Engine;
use crate::startup::Readiness;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// 200 when a database query and the broker connection both work, else 503 with details.
pub async fn readyz(engine: web::Data<Engine>, readiness: web::Data<Readiness>) -> HttpResponse {
    let database = engine.database_reachable().await;
    let broker = readiness.bus.as_ref().is_some_and(|bus| bus.is_connected());
    let body = json!({"database": database, "broker": broker});
    if database && broker {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(json!({
            "error": {"code": "unavailable", "message": "a dependency is unreachable"},
            "database": database,
            "broker": broker,
        }))
    }
}

pub async fn metrics(engine: web::Data<Engine>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(engine.metrics().render())
}
