//! The operational endpoints every tm service answers, the same way:
//!
//! * `GET /healthz`: 200 `{"status": "ok", …}` while the process runs (a service may add fields,
//!   e.g. tm-ingest's `role`);
//! * `GET /readyz`: 200 with one boolean field per [`Readiness`] check when all pass, else 503
//!   with the same fields and `{"error": {"code": "unavailable", …}}`;
//! * `GET /metrics`: the service's [`MetricsRegistry`] as OpenMetrics text.
//!
//! [`Ops`] answers them; where they are served depends on the service: tm-ingest has nothing
//! else to serve and runs [`serve`] on its own listener, tm-gateway and tm-cms route these
//! paths of their main listener to [`Ops::respond`].

mod listener;
mod metrics;
mod readiness;

use hyper::StatusCode;
use serde_json::{json, Map, Value};

pub use listener::serve;
pub use metrics::MetricsRegistry;
pub use readiness::{Readiness, ReadinessCheck, ReadinessFuture};

/// The content type of `/metrics`.
pub const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const JSON_CONTENT_TYPE: &str = "application/json";

/// A value `/healthz` reports beside `"status": "ok"`, read on every request.
type HealthField = Box<dyn Fn() -> String + Send + Sync>;

/// One service's `/healthz`, `/readyz` and `/metrics`; share it behind an `Arc`.
pub struct Ops {
    metrics: MetricsRegistry,
    readiness: Box<dyn ReadinessCheck>,
    health_fields: Vec<(&'static str, HealthField)>,
}

/// An answer of [`Ops::respond`], for whichever HTTP server carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpsResponse {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub body: String,
}

impl Ops {
    /// `metrics` is final: the service keeps handles on its metrics and updates them in place.
    pub fn new(metrics: MetricsRegistry, readiness: impl ReadinessCheck) -> Self {
        Ops {
            metrics,
            readiness: Box::new(readiness),
            health_fields: Vec::new(),
        }
    }

    /// Adds a field to the `/healthz` body, e.g. `("role", || "active".into())`.
    pub fn with_health_field(mut self, name: &'static str, value: impl Fn() -> String + Send + Sync + 'static) -> Self {
        self.health_fields.push((name, Box::new(value)));
        self
    }

    /// Whether `path` is one of the three endpoints (routers use it to hand requests over).
    pub fn serves(path: &str) -> bool {
        matches!(path, "/healthz" | "/readyz" | "/metrics")
    }

    /// The answer to `GET path`, or `None` for a path that is not an ops endpoint.
    pub async fn respond(&self, path: &str) -> Option<OpsResponse> {
        Some(match path {
            "/healthz" => self.health(),
            "/readyz" => self.readiness().await,
            "/metrics" => OpsResponse {
                status: StatusCode::OK,
                content_type: OPENMETRICS_CONTENT_TYPE,
                body: self.metrics.encode(),
            },
            _ => return None,
        })
    }

    fn health(&self) -> OpsResponse {
        let mut body = Map::new();
        body.insert("status".into(), "ok".into());
        for (name, value) in &self.health_fields {
            body.insert((*name).into(), value().into());
        }
        json_response(StatusCode::OK, body)
    }

    async fn readiness(&self) -> OpsResponse {
        let readiness = self.readiness.readiness().await;
        let mut body = Map::new();
        for (name, passed) in readiness.checks() {
            body.insert((*name).into(), (*passed).into());
        }
        if readiness.is_ready() {
            return json_response(StatusCode::OK, body);
        }
        let failed: Vec<&str> = readiness
            .checks()
            .iter()
            .filter(|(_, passed)| !passed)
            .map(|(name, _)| *name)
            .collect();
        let message = format!("not ready: {}", failed.join(", "));
        body.insert("error".into(), json!({"code": "unavailable", "message": message}));
        json_response(StatusCode::SERVICE_UNAVAILABLE, body)
    }
}

fn json_response(status: StatusCode, body: Map<String, Value>) -> OpsResponse {
    OpsResponse {
        status,
        content_type: JSON_CONTENT_TYPE,
        body: Value::Object(body).to_string(),
    }
}

#[cfg(test)]
mod tests;
