//! What every task of a running gateway shares: settings, the hub, the bus handles, metrics
//! and the drain signal. Built once in [`crate::startup`] and passed down as an `Arc`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tm_bus::{Bus, Publisher};
use tm_runtime::Readiness;
use tokio::sync::{watch, Semaphore};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::config::Settings;
use crate::http::post_budget::AddressPostBudget;
use crate::http::quota::AddressQuota;
use crate::hub::Hub;
use crate::metrics::Metrics;

pub struct Context {
    pub settings: Settings,
    pub hub: Arc<Hub>,
    pub bus: Bus,
    pub publisher: Publisher,
    pub metrics: Arc<Metrics>,
    /// This instance's id in presence announcements.
    pub gateway_id: Uuid,
    /// Tripped on SIGTERM: sockets close with 1001, `/readyz` turns 503, no new upgrades.
    pub drain: CancellationToken,
    /// One permit per open socket.
    pub connections: Arc<Semaphore>,
    /// Open sockets per client address.
    pub per_address: Arc<AddressQuota>,
    /// Posts per client address, whatever participant they claim.
    pub post_budget: AddressPostBudget,
    /// Ticks every `ws.ping_secs` (each socket pings its client or, silent too long, closes)
    /// and once when the drain starts. One ticker for the whole gateway, not a timer per socket.
    pub keepalive: watch::Sender<u64>,
    /// Set once the event subscription is open.
    subscribed: AtomicBool,
}

impl Context {
    pub fn new(settings: Settings, bus: Bus, publisher: Publisher) -> Context {
        let metrics = Arc::new(Metrics::default());
        Context {
            hub: Hub::with_rejection_retention(
                settings.rooms.replay_events,
                settings.rooms.rejection_retention(),
                Arc::clone(&metrics),
            ),
            post_budget: AddressPostBudget::new(
                settings.ws.posts_per_address_per_minute,
                settings.ws.post_burst_per_address,
            ),
            connections: Arc::new(Semaphore::new(settings.http.max_connections)),
            per_address: AddressQuota::new(settings.http.max_connections_per_ip),
            settings,
            bus,
            publisher,
            metrics,
            gateway_id: Uuid::now_v7(),
            drain: CancellationToken::new(),
            keepalive: watch::Sender::new(0),
            subscribed: AtomicBool::new(false),
        }
    }

    /// Ticks `keepalive` until `stop` trips.
    pub(crate) async fn run_keepalive(&self, stop: CancellationToken) {
        let mut every = tokio::time::interval(self.settings.ws.ping_interval());
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        every.reset();
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = every.tick() => self.keepalive.send_modify(|n| *n = n.wrapping_add(1)),
            }
        }
    }

    /// Starts the drain: no new sockets, and every open one closes with 1001 (woken through the
    /// keepalive ticker, which every socket already waits on).
    pub(crate) fn begin_drain(&self) {
        self.drain.cancel();
        self.keepalive.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub(crate) fn set_subscribed(&self) {
        self.subscribed.store(true, Ordering::Release);
    }

    /// Ready for traffic: subscribed, connected to the broker, not draining.
    pub fn is_ready(&self) -> bool {
        self.readiness().is_ready()
    }

    /// What `/readyz` reports: subscribed to room events on a live broker connection, and not
    /// draining.
    pub fn readiness(&self) -> Readiness {
        Readiness::new()
            .check(
                "broker",
                self.subscribed.load(Ordering::Acquire) && self.bus.is_connected(),
            )
            .check("accepting", !self.drain.is_cancelled())
    }
}
