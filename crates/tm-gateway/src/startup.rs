//! Building and running a gateway: [`Application::build`] binds the listener and starts the bus
//! (so tests can bind port 0 and read [`Application::port`]); [`Application::run_until_stopped`]
//! serves until shutdown, then drains: no new sockets, every open one closed with 1001, a
//! presence goodbye, and the broker connection closed.

use std::sync::Arc;
use std::time::Duration;

use tm_bus::{Bus, BusError};
use tm_runtime::Shutdown;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::context::Context;
use crate::settings::{Settings, SettingsError, DEV_SECRET};
use crate::{announce, http, link};

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("cannot listen on {bind}: {source}")]
    Bind {
        bind: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the bus: {0}")]
    Bus(#[from] BusError),
}

/// A gateway, bound and ready to run.
pub struct Application {
    listener: TcpListener,
    port: u16,
    ctx: Arc<Context>,
}

impl Application {
    /// Binds the HTTP listener and starts connecting to the broker (in the background: a
    /// gateway started before RabbitMQ answers `/healthz` and reports not ready until then).
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        settings.validate()?;
        if settings.tokens.secret.expose() == DEV_SECRET {
            tracing::warn!("tokens.secret is the development default; set a real one in production");
        }
        let bind = settings.http.bind.clone();
        let listener = TcpListener::bind(&bind)
            .await
            .map_err(|source| StartupError::Bind { bind, source })?;
        let port = listener.local_addr().map_err(|source| StartupError::Bind {
            bind: settings.http.bind.clone(),
            source,
        })?;
        let bus = Bus::start(&settings.bus, crate::SERVICE)?;
        let publisher = bus.publisher().await?;
        let ctx = Arc::new(Context::new(settings, bus, publisher));
        Ok(Application {
            listener,
            port: port.port(),
            ctx,
        })
    }

    /// The port the listener is bound to (useful with `bind = "127.0.0.1:0"`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The running gateway's shared state (tests read metrics and readiness from it).
    pub fn context(&self) -> Arc<Context> {
        Arc::clone(&self.ctx)
    }

    /// Serves until `shutdown` trips, then drains.
    pub async fn run_until_stopped(self, shutdown: Shutdown) {
        let ctx = self.ctx;
        let sessions = TaskTracker::new();
        let background = CancellationToken::new();
        let link = tokio::spawn(link::run(Arc::clone(&ctx), background.clone()));
        let presence = tokio::spawn(announce::run(Arc::clone(&ctx), background.clone()));
        let keepalive = {
            let (ctx, stop) = (Arc::clone(&ctx), background.clone());
            tokio::spawn(async move { ctx.run_keepalive(stop).await })
        };
        let server = tokio::spawn(http::serve(self.listener, Arc::clone(&ctx), sessions.clone()));
        tracing::info!(port = self.port, gateway_id = %ctx.gateway_id, "gateway serving");

        shutdown.cancelled().await;
        tm_runtime::systemd::notify_stopping();
        ctx.begin_drain();
        let _ = server.await;
        sessions.close();
        let drain = Duration::from_secs(ctx.settings.http.drain_secs);
        if tokio::time::timeout(drain, sessions.wait()).await.is_err() {
            tracing::warn!(open = sessions.len(), "drain timed out; dropping the remaining sockets");
        }
        background.cancel();
        let _ = tokio::join!(link, presence, keepalive);
        announce::goodbye(&ctx).await;
        ctx.bus.close().await;
        tracing::info!("gateway stopped");
    }
}
