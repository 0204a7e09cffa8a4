//! Prometheus metrics: HTTP requests and latencies, relay lag and throughput, consumer counts.
//! Registered once, at startup, in the registry tm-runtime's ops endpoints serve.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ConsumerLabels {
    pub queue: String,
    pub outcome: String,
}

pub struct Metrics {
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_latency: Family<RouteLabels, Histogram>,
    /// Events in the log not yet confirmed by the broker.
    pub relay_lag_events: Gauge,
    /// Age of the oldest unpublished event, in milliseconds.
    pub relay_lag_ms: Gauge,
    pub relay_published: Counter,
    pub relay_publish_failures: Counter,
    /// 1 while this instance holds the relay lock.
    pub relay_active: Gauge,
    pub consumed: Family<ConsumerLabels, Counter>,
    /// Queued posts judged together in one transaction: batches, and the posts in them.
    pub post_batches: Counter,
    pub batched_posts: Counter,
    /// argon2 hashes of new passwords.
    pub password_hashes: Counter,
    /// argon2 password checks (joins, admin sign-ins, the dummy check of unknown admin names).
    pub password_checks: Counter,
    /// Hashes and checks waiting for a permit (`passwords.max_concurrent_hashes`).
    pub password_waiting: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 14))
        });
        Metrics {
            http_requests,
            http_latency,
            relay_lag_events: Gauge::default(),
            relay_lag_ms: Gauge::default(),
            relay_published: Counter::default(),
            relay_publish_failures: Counter::default(),
            relay_active: Gauge::default(),
            consumed: Family::default(),
            post_batches: Counter::default(),
            batched_posts: Counter::default(),
            password_hashes: Counter::default(),
            password_checks: Counter::default(),
            password_waiting: Gauge::default(),
        }
    }

    /// Registers every metric; `registry` adds the `tm_cms_` prefix.
    pub fn register(&self, registry: &mut Registry) {
        let m = self;
        registry.register("http_requests", "HTTP requests answered", m.http_requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            m.http_latency.clone(),
        );
        registry.register(
            "relay_lag_events",
            "Event log rows not yet published",
            m.relay_lag_events.clone(),
        );
        registry.register(
            "relay_lag_milliseconds",
            "Age of the oldest unpublished event",
            m.relay_lag_ms.clone(),
        );
        registry.register(
            "relay_published",
            "Events published and confirmed",
            m.relay_published.clone(),
        );
        registry.register(
            "relay_publish_failures",
            "Publish attempts that failed",
            m.relay_publish_failures.clone(),
        );
        registry.register(
            "relay_active",
            "1 while this instance is the active relay",
            m.relay_active.clone(),
        );
        registry.register(
            "consumed_messages",
            "Bus commands handled, by queue and outcome",
            m.consumed.clone(),
        );
        registry.register(
            "post_batches",
            "Batches of queued posts judged in one transaction",
            m.post_batches.clone(),
        );
        registry.register(
            "batched_posts",
            "Queued posts judged in a batch",
            m.batched_posts.clone(),
        );
        registry.register(
            "password_hashes",
            "argon2 hashes of new passwords",
            m.password_hashes.clone(),
        );
        registry.register(
            "password_checks",
            "argon2 password checks, including the dummy check of unknown admin names",
            m.password_checks.clone(),
        );
        registry.register(
            "password_waiting",
            "Password hashes and checks waiting for a permit",
            m.password_waiting.clone(),
        );
    }

    /// Counts one handled command.
    pub fn consumed(&self, queue: &str, outcome: &str) {
        self.consumed
            .get_or_create(&ConsumerLabels {
                queue: queue.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }
}
