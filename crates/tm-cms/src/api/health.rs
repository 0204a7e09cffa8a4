//! `/healthz` (the process answers), `/readyz` (database and broker reachable) and `/metrics`:
//! tm-runtime's [`Ops`] answers them, as on every service; this is their actix side.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use tm_bus::Bus;
use tm_runtime::ops::{Readiness, ReadinessCheck, ReadinessFuture};
use tm_runtime::Ops;

use crate::engine::Engine;

/// Hands `GET /healthz`, `/readyz` and `/metrics` to [`Ops`].
pub async fn respond(req: HttpRequest, ops: web::Data<Arc<Ops>>) -> HttpResponse {
    let Some(answer) = ops.respond(req.path()).await else {
        return HttpResponse::NotFound().finish();
    };
    let status = StatusCode::from_u16(answer.status.as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .content_type(answer.content_type)
        .body(answer.body)
}

/// Ready when a database query and the broker connection both work.
pub struct DependenciesReachable {
    pub engine: Engine,
    pub bus: Bus,
}

impl ReadinessCheck for DependenciesReachable {
    fn readiness(&self) -> ReadinessFuture<'_> {
        Box::pin(async move {
            let database = self.engine.database_reachable().await;
            Readiness::new()
                .check("database", database)
                .check("broker", self.bus.is_connected())
        })
    }
}
