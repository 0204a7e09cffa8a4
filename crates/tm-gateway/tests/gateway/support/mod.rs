//! Test support: a real gateway on port 0 against the real RabbitMQ (isolated by a unique name
//! prefix), WebSocket clients, and the bus traffic the CMS would produce and consume.

mod client;
mod cms;
mod sse_client;

use std::sync::Arc;
use std::time::Duration;

pub use client::Client;
pub use cms::{Cms, Room};
pub use sse_client::{sse_url, Item, SseClient};
use tm_core::{JoinClaims, Role};
use tm_gateway::context::Context;
use tm_gateway::{Application, Settings};
use tm_runtime::Shutdown;
use tm_testkit::wait_until;
use tokio::task::JoinHandle;

/// The join-token secret the tests share with their gateways.
pub const SECRET: &str = "test-join-token-secret-0123456789abcdef";
/// Long enough for a loaded 2-core machine, short enough to fail fast.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// Settings for a test gateway: port 0, the test broker and prefix, the test secret.
pub fn settings(prefix: &str) -> Settings {
    let mut settings = Settings::defaults().unwrap();
    settings.http.bind = "127.0.0.1:0".into();
    settings.bus = tm_bus::BusConfig::for_test(prefix);
    settings.tokens.secret = serde_json::from_value(serde_json::json!(SECRET)).unwrap();
    settings
}

/// A running gateway.
pub struct Gateway {
    pub port: u16,
    pub ctx: Arc<Context>,
    shutdown: Shutdown,
    task: JoinHandle<Result<(), tm_runtime::ServerError>>,
}

impl Gateway {
    /// Starts a gateway with default test settings and waits until it is ready.
    pub async fn spawn(prefix: &str) -> Gateway {
        Gateway::spawn_with(settings(prefix)).await
    }

    pub async fn spawn_with(settings: Settings) -> Gateway {
        tm_testkit::init_test_tracing();
        let app = Application::build(settings).await.unwrap();
        let (port, ctx) = (app.port(), app.context());
        let shutdown = Shutdown::new();
        let task = tokio::spawn(app.run_until_stopped(shutdown.clone()));
        wait_until(PATIENCE, "the gateway is ready", || ctx.is_ready()).await;
        Gateway {
            port,
            ctx,
            shutdown,
            task,
        }
    }

    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.port)
    }

    pub fn http_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Starts the drain without waiting for it.
    pub fn begin_shutdown(&self) {
        self.shutdown.trigger();
    }

    /// Drains and waits until the gateway has stopped (cleanly: its listener never failed).
    pub async fn stop(self) {
        self.shutdown.trigger();
        tokio::time::timeout(PATIENCE, self.task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
}

/// A join token for `room`, as tm-cms would sign it.
pub fn token(room: &Room, role: Role, max_length: u32) -> String {
    token_for(room, role, max_length, &format!("participant-{}", room.id))
}

/// A join token for `room` and a given participant (the id tm-cms takes from the browser's
/// cookie, which the client may throw away for a fresh one).
pub fn token_for(room: &Room, role: Role, max_length: u32, participant: &str) -> String {
    let claims = JoinClaims {
        room_id: room.id,
        slug: room.slug.clone(),
        role,
        participant_id: participant.to_owned(),
        max_length,
        exp: time::OffsetDateTime::now_utc().unix_timestamp() + 600,
        reactions: Vec::new(),
    };
    claims.sign(SECRET.as_bytes()).unwrap()
}
