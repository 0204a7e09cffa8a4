//! [`Application::build`] binds the ops listener (so tests can use port 0 and read the port)
//! and starts the bus; [`Application::run_until_stopped`] runs the sources until shutdown, then
//! drains.

use std::sync::Arc;
use std::time::Duration;

use tm_bus::{Bus, BusError, Publisher};
use tm_runtime::{join_stopped, serve_until_shutdown, MetricsRegistry, Ops, Readiness, ServerError, Shutdown};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::bluesky::state::CursorStore;
use crate::bluesky::BlueskySource;
use crate::bus::BusItemPublisher;
use crate::clock::{tokio_sleeper, SharedSleeper};
use crate::config::{millis, secs, Settings};
use crate::delivery::{Outbox, OutboxLimits};
use crate::mastodon::MastodonSource;
use crate::metrics::{Metrics, SharedMetrics};
use crate::state::StateStore;
use crate::twitter::rules::RuleLimits;
use crate::twitter::source::TwitterTuning;
use crate::twitter::{api::TwitterApi, TwitterSource};
use crate::watch::{self, WatchRx, WatchTx};

/// Why the ingester could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot bind the ops listener on {addr}: {source}")]
    Bind { addr: String, source: std::io::Error },
    #[error("bus: {0}")]
    Bus(#[from] BusError),
    #[error("Twitter client: {0}")]
    Twitter(#[from] crate::twitter::api::ApiError),
}

/// What the active phase needs; shared by the standby/active loop.
pub struct Parts {
    pub settings: Settings,
    pub instance: String,
    pub bus: Bus,
    pub publisher: Publisher,
    pub watch_tx: Arc<WatchTx>,
    pub watch_rx: WatchRx,
    pub store: StateStore,
    pub outbox: Arc<Outbox>,
    pub metrics: SharedMetrics,
    pub sleeper: SharedSleeper,
    twitter_api: Option<TwitterApi>,
}

impl Parts {
    pub fn twitter_source(&self) -> Option<TwitterSource> {
        let t = &self.settings.twitter;
        Some(TwitterSource {
            api: self.twitter_api.clone()?,
            tuning: TwitterTuning {
                limits: RuleLimits {
                    max_rules: t.max_rules,
                    max_value_chars: t.max_rule_chars,
                },
                stall_timeout: millis(t.stall_timeout_ms),
                rule_request_interval: millis(t.rule_request_interval_ms),
                rules_debounce: millis(t.rules_debounce_ms),
            },
            watch: self.watch_rx.clone(),
            outbox: self.outbox.clone(),
            metrics: self.metrics.clone(),
            sleeper: self.sleeper.clone(),
        })
    }

    pub fn bluesky_source(&self) -> Option<BlueskySource> {
        let b = &self.settings.bluesky;
        b.enabled().then(|| BlueskySource {
            endpoints: b.endpoints(),
            rewind: Duration::from_secs(b.rewind_secs),
            silence_timeout: secs(b.silence_timeout_secs),
            ping_interval: secs(b.ping_interval_secs),
            save_interval: millis(b.cursor_save_ms),
            handle_cache: b.handle_cache,
            delivered_memory: b.delivered_memory,
            store: CursorStore::new(self.settings.state.dir().as_deref()),
            watch: self.watch_rx.clone(),
            outbox: self.outbox.clone(),
            metrics: self.metrics.clone(),
            sleeper: self.sleeper.clone(),
        })
    }

    pub fn mastodon_source(&self) -> Option<MastodonSource> {
        let m = &self.settings.mastodon;
        m.enabled().then(|| MastodonSource {
            url: m.streaming_url.clone(),
            token: m.access_token.clone(),
            silence_timeout: secs(m.silence_timeout_secs),
            ping_interval: secs(m.ping_interval_secs),
            watch: self.watch_rx.clone(),
            outbox: self.outbox.clone(),
            metrics: self.metrics.clone(),
            sleeper: self.sleeper.clone(),
        })
    }
}

/// A built, not yet running ingester.
pub struct Application {
    settings: Settings,
    listener: TcpListener,
    instance: String,
    bus: Bus,
    publisher: Publisher,
    twitter_api: Option<TwitterApi>,
    metrics: SharedMetrics,
    ops: Arc<Ops>,
    sleeper: SharedSleeper,
}

impl Application {
    /// Binds the ops listener and starts connecting to the broker (in the background: until it
    /// answers, `/readyz` says not ready); the sources start in [`Application::run_until_stopped`].
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let addr = settings.http.bind.clone();
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;
        let instance = format!("{}-{}", crate::SERVICE, &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let bus = Bus::start(&settings.bus, &instance)?;
        let publisher = bus.publisher().await?;
        let twitter_api = if settings.twitter.enabled() {
            let t = &settings.twitter;
            Some(TwitterApi::new(
                &t.base_url,
                t.bearer_token.clone(),
                secs(t.connect_timeout_secs),
            )?)
        } else {
            None
        };
        let metrics = Arc::new(Metrics::default());
        let ops = Arc::new(ops_endpoints(&metrics, &bus));
        Ok(Application {
            settings,
            listener,
            instance,
            bus,
            publisher,
            twitter_api,
            metrics,
            ops,
            sleeper: tokio_sleeper(),
        })
    }

    /// Replaces the reconnect sleeper (tests record the waits instead of sleeping).
    pub fn with_sleeper(mut self, sleeper: SharedSleeper) -> Self {
        self.sleeper = sleeper;
        self
    }

    pub fn http_port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn metrics(&self) -> SharedMetrics {
        self.metrics.clone()
    }

    /// Runs until `shutdown` (or until the ops listener's task dies: then it stops all the same
    /// and returns the error), then stops the sources, releases the lock, drains the buffer.
    pub async fn run_until_stopped(self, shutdown: Shutdown) -> Result<(), ServerError> {
        let Application {
            settings,
            listener,
            instance,
            bus,
            publisher,
            twitter_api,
            metrics,
            ops,
            sleeper,
        } = self;
        if twitter_api.is_none() {
            tracing::info!(
                "Twitter source off: no bearer token configured (set [twitter] bearer_token \
                or TM_INGEST__TWITTER__BEARER_TOKEN); the bus side and Mastodon keep running"
            );
        }
        if !settings.mastodon.enabled() {
            tracing::info!("Mastodon source off: set [mastodon] streaming_url and access_token to enable it");
        }
        if !settings.bluesky.enabled() {
            tracing::info!("Bluesky source off: set [bluesky] endpoints (Jetstream URLs) to enable it");
        }
        let store = StateStore::new(settings.state.dir().as_deref());
        let (watch_tx, watch_rx) = watch::channel(store.load());
        let d = &settings.delivery;
        let outbox = Outbox::new(
            OutboxLimits {
                capacity: d.buffer_capacity,
                recent_ids: d.recent_ids,
            },
            metrics.clone(),
        );
        let (retry, drain) = (millis(d.retry_ms), secs(d.drain_secs));

        // The ops listener outlives the sources and the drain: it answers until the very end.
        let ops_stop = CancellationToken::new();
        let mut ops_listener = {
            let serving = tm_runtime::ops::serve(listener, ops, ops_stop.clone().cancelled_owned());
            tokio::spawn(async move {
                serving.await;
                Ok(())
            })
        };
        let delivery_stop = CancellationToken::new();
        let delivery = tokio::spawn(outbox.clone().deliver(
            Arc::new(BusItemPublisher(publisher.clone())),
            retry,
            drain,
            delivery_stop.clone(),
        ));
        let parts = Arc::new(Parts {
            settings,
            instance,
            bus: bus.clone(),
            publisher,
            watch_tx: Arc::new(watch_tx),
            watch_rx,
            store,
            outbox,
            metrics,
            sleeper,
            twitter_api,
        });
        let (served, ()) = tokio::join!(
            serve_until_shutdown(&mut ops_listener, &shutdown),
            crate::active::run(parts, shutdown.token()),
        );
        tm_runtime::systemd::notify_stopping();
        // Sources are stopped: now flush what they produced, then close.
        delivery_stop.cancel();
        let _ = delivery.await;
        let served = match served {
            Ok(()) => {
                ops_stop.cancel();
                join_stopped(ops_listener).await
            }
            failed => failed,
        };
        bus.close().await;
        tracing::info!("stopped");
        served
    }
}

/// `/healthz` says whether this instance is the active one; `/readyz` follows the broker
/// connection, since without it nothing matched can reach a room (a standby is ready: it can
/// take over the moment the active instance stops).
fn ops_endpoints(metrics: &SharedMetrics, bus: &Bus) -> Ops {
    let mut registry = MetricsRegistry::new(crate::SERVICE, env!("CARGO_PKG_VERSION"));
    metrics.register(registry.service());
    let bus = bus.clone();
    let role = Arc::clone(metrics);
    Ops::new(registry, move || Readiness::new().check("broker", bus.is_connected())).with_health_field(
        "role",
        move || {
            let active = role.active.load(std::sync::atomic::Ordering::Relaxed);
            if active { "active" } else { "standby" }.to_owned()
        },
    )
}
