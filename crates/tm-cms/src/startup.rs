//! Building and running the service: [`Application::build`] binds the listener (port 0 in
//! tests) and starts the workers; [`Application::run_until_stopped`] serves until shutdown,
//! then drains in order: stop the HTTP server gracefully, cancel the relay, consumers and
//! sweeper, wait for them, close the bus.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{middleware::from_fn, web, App, HttpServer};
use tm_bus::Bus;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::engine::db;
use crate::engine::Engine;
use crate::metrics::Metrics;
use crate::workers::{consumers, relay::Relay};

/// What `/readyz` checks besides the database.
pub struct Readiness {
    pub bus: Option<Bus>,
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
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
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

        let listener = TcpListener::bind(&settings.http.bind)?;
        let port = listener.local_addr()?.port();
        let data = web::Data::new(engine.clone());
        let readiness = web::Data::new(Readiness { bus: Some(bus.clone()) });
        let max_json = settings.http.max_json_bytes;
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(crate::api::observe))
                .wrap(from_fn(crate::web::security::headers))
                .app_data(data.clone())
                .app_data(readiness.clone())
                .configure(crate::web::configure)
                .configure(|cfg| crate::api::configure(cfg, max_json))
        })
        .workers(settings.http.workers.max(1))
        .disable_signals()
        .shutdown_timeout(10)
        .listen(listener)?
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

    /// Serves until `shutdown` is cancelled (or the server fails), then drains.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let server = tokio::spawn(self.server);
        shutdown.cancelled().await;
        tracing::info!("stopping: HTTP server first, then workers");
        handle.stop(true).await;
        let served = server.await;
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
        served??;
        Ok(())
    }
}
