//! Building and running the service: [`Application::build`] binds the listener (port 0 in
//! tests) and starts the workers; [`Application::run_until_stopped`] serves until shutdown (or
//! until the HTTP server fails), then drains in order: stop the HTTP server gracefully, cancel
//! the relay, consumers and sweeper, wait for them, close the bus.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{middleware::from_fn, web, App, HttpServer};
use tm_bus::{Bus, BusError};
use tm_core::keys::SecretError;
use tm_runtime::{join_stopped, serve_until_shutdown, MetricsRegistry, Ops, ServerError, Shutdown};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::api::health::DependenciesReachable;
use crate::config::{Settings, SettingsError};
use crate::engine::db::{self, DbError};
use crate::engine::Engine;
use crate::metrics::Metrics;
use crate::workers::{consumers, relay::Relay};

/// Why the CMS could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("database: {0}")]
    Database(#[from] DbError),
    #[error("secrets: {0}")]
    Secrets(#[from] SecretError),
    #[error("cannot start the bus: {0}")]
    Bus(#[from] BusError),
    #[error("cannot listen on {bind}: {source}")]
    Listen {
        bind: String,
        #[source]
        source: std::io::Error,
    },
}

pub struct Application {
    port: u16,
    server: Server,
    engine: Engine,
    bus: Bus,
    workers: Vec<JoinHandle<()>>,
    stop_workers: CancellationToken,
}

impl Application {
    /// Migrates (unless told not to), connects, binds and starts the background workers.
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        settings.validate()?;
        let settings = Arc::new(settings);
        let url = settings.database.url.expose().clone();
        if settings.database.migrate_on_start {
            let applied = db::migrate(&url).await?;
            tracing::info!(?applied, "migrations applied");
        }
        let timeout = Duration::from_millis(settings.database.connect_timeout_ms);
        let pool = db::pool(&url, settings.database.pool_size, timeout)?;
        let metrics = Arc::new(Metrics::new());
        let mut registry = MetricsRegistry::new(crate::SERVICE, env!("CARGO_PKG_VERSION"));
        metrics.register(registry.service());
        let engine = Engine::new(pool, settings.clone(), metrics.clone())?;
        // Starts in the background: the API serves even while the broker is unreachable.
        let bus = Bus::start(&settings.bus, crate::SERVICE)?;
        let stop_workers = CancellationToken::new();
        let mut workers = Vec::new();
        let relay = Relay {
            database_url: url,
            publisher: bus.publisher().await?,
            wakeup: engine.relay_wakeup(),
            metrics,
            poll_interval: Duration::from_millis(settings.relay.poll_interval_ms.max(10)),
            batch_size: settings.relay.batch_size.max(1),
        };
        workers.push(tokio::spawn(relay.run(stop_workers.clone())));
        workers.extend(consumers::spawn(&bus, &engine, &stop_workers));
        let sweep_every = Duration::from_millis((settings.rooms.sweep_interval_secs * 1000).max(100));
        workers.push(tokio::spawn(crate::workers::sweeper::run(
            engine.clone(),
            sweep_every,
            stop_workers.clone(),
        )));
        workers.push(tokio::spawn(crate::workers::updates::run(
            engine.clone(),
            Duration::from_millis(settings.qa.update_interval_ms.max(50)),
            stop_workers.clone(),
        )));

        let bind = settings.http.bind.clone();
        let listen_error = |source| StartupError::Listen {
            bind: bind.clone(),
            source,
        };
        let listener = TcpListener::bind(&bind).map_err(listen_error)?;
        let port = listener.local_addr().map_err(listen_error)?.port();
        let shared = engine.clone();
        let readiness = DependenciesReachable {
            engine: engine.clone(),
            bus: bus.clone(),
        };
        let ops = web::Data::new(Arc::new(Ops::new(registry, readiness)));
        let max_json = settings.http.max_json_bytes;
        let csp = web::Data::new(crate::web::security::ContentSecurityPolicy::new(
            &settings.http.gateway_url,
        ));
        let server = HttpServer::new(move || {
            // Runs on each worker's thread: its pool's connections are opened on its runtime.
            let engine = shared.with_own_pool().unwrap_or_else(|err| {
                tracing::warn!(error = %err, "this HTTP worker shares the background workers' pool");
                shared.clone()
            });
            let data = web::Data::new(engine);
            App::new()
                .wrap(from_fn(crate::i18n::negotiate))
                .wrap(from_fn(crate::api::observe))
                .wrap(from_fn(crate::web::security::headers))
                .app_data(data.clone())
                .app_data(csp.clone())
                .app_data(ops.clone())
                .configure(|cfg| crate::api::configure(cfg, max_json))
                .configure(crate::web::configure)
        })
        .workers(settings.http.workers.max(1))
        .disable_signals()
        .shutdown_timeout(10)
        .listen(listener)
        .map_err(listen_error)?
        .run();
        tracing::info!(port, "listening");
        Ok(Application {
            port,
            server,
            engine,
            bus,
            workers,
            stop_workers,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Serves until `shutdown` trips (or the HTTP server fails: then it drains all the same and
    /// returns the error, so the process exits with an error and systemd restarts it).
    pub async fn run_until_stopped(self, shutdown: Shutdown) -> Result<(), ServerError> {
        let served = serve(self.server, &shutdown).await;
        tracing::info!("HTTP server stopped; stopping the workers");
        self.stop_workers.cancel();
        for worker in self.workers {
            let _ = worker.await;
        }
        // Bounded: a wedged broker must not keep the process from exiting.
        if tokio::time::timeout(Duration::from_secs(10), self.bus.close())
            .await
            .is_err()
        {
            tracing::warn!("the bus did not close in time");
        }
        tracing::info!("stopped");
        served
    }
}

/// Runs `server` until `shutdown`, then stops it gracefully (in-flight requests finish).
async fn serve(server: Server, shutdown: &Shutdown) -> Result<(), ServerError> {
    let handle = server.handle();
    let mut running = tokio::spawn(server);
    serve_until_shutdown(&mut running, shutdown).await?;
    tracing::info!("stopping: HTTP server first, then workers");
    handle.stop(true).await;
    join_stopped(running).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real actix server whose workers cannot start (their app's data factory fails), as when
    /// the process is out of resources.
    fn server_that_cannot_start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        HttpServer::new(|| App::new().data_factory(|| async { Err::<(), _>("no resources") }))
            .workers(1)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run()
    }

    #[tokio::test]
    async fn a_failing_http_server_ends_the_service_with_an_error() {
        let shutdown = Shutdown::new();
        let served = tokio::time::timeout(Duration::from_secs(10), serve(server_that_cannot_start(), &shutdown))
            .await
            .expect("the failure ends serving without a shutdown");
        assert!(matches!(served, Err(ServerError::Failed(_))), "{served:?}");
        assert!(shutdown.is_triggered(), "the workers and the bus drain as on SIGTERM");
    }

    #[tokio::test]
    async fn shutdown_stops_a_healthy_http_server_cleanly() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = HttpServer::new(App::new)
            .workers(1)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run();
        let shutdown = Shutdown::new();
        shutdown.trigger();
        serve(server, &shutdown).await.unwrap();
    }
}
