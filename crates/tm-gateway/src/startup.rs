//! Building and running a gateway: [`Application::build`] binds the listener and starts the bus
//! (so tests can bind port 0 and read [`Application::port`]); [`Application::run_until_stopped`]
//! serves until shutdown, then drains: no new sockets, every open one closed with 1001, a
//! presence goodbye, and the broker connection closed.

use std::sync::Arc;
use std::time::Duration;

use tm_bus::{Bus, BusError};
use tm_runtime::{join_stopped, serve_until_shutdown, MetricsRegistry, Ops, ServerError, Shutdown};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{Settings, SettingsError, DEV_SECRET};
use crate::context::Context;
use crate::{announce, http, link, reactions};

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
    ops: Arc<Ops>,
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
        let mut metrics = MetricsRegistry::new(crate::SERVICE, env!("CARGO_PKG_VERSION"));
        ctx.metrics.register(metrics.service());
        let readiness = {
            let ctx = Arc::clone(&ctx);
            move || ctx.readiness()
        };
        Ok(Application {
            listener,
            port: port.port(),
            ctx,
            ops: Arc::new(Ops::new(metrics, readiness)),
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

    /// Serves until `shutdown` trips (or the listener's task dies: then it drains all the same
    /// and returns the error), then drains.
    pub async fn run_until_stopped(self, shutdown: Shutdown) -> Result<(), ServerError> {
        let ctx = self.ctx;
        let sessions = TaskTracker::new();
        let background = CancellationToken::new();
        let link = tokio::spawn(link::run(Arc::clone(&ctx), background.clone()));
        let presence = tokio::spawn(announce::run(Arc::clone(&ctx), background.clone()));
        let reactions = tokio::spawn(reactions::run(Arc::clone(&ctx), background.clone()));
        let keepalive = {
            let (ctx, stop) = (Arc::clone(&ctx), background.clone());
            tokio::spawn(async move { ctx.run_keepalive(stop).await })
        };
        let mut server = {
            let serving = http::serve(self.listener, Arc::clone(&ctx), self.ops, sessions.clone());
            tokio::spawn(async move {
                serving.await;
                Ok(())
            })
        };
        tracing::info!(port = self.port, gateway_id = %ctx.gateway_id, "gateway serving");

        let served = serve_until_shutdown(&mut server, &shutdown).await;
        tm_runtime::systemd::notify_stopping();
        ctx.begin_drain();
        let served = match served {
            Ok(()) => join_stopped(server).await,
            failed => failed,
        };
        sessions.close();
        let drain = Duration::from_secs(ctx.settings.http.drain_secs);
        if tokio::time::timeout(drain, sessions.wait()).await.is_err() {
            tracing::warn!(open = sessions.len(), "drain timed out; dropping the remaining sockets");
        }
        background.cancel();
        let _ = tokio::join!(link, presence, reactions, keepalive);
        announce::goodbye(&ctx).await;
        ctx.bus.close().await;
        tracing::info!("gateway stopped");
        served
    }
}
