//! Counters and gauges for `/metrics`. The sources update plain atomics; a prometheus-client
//! [`Collector`], registered once at startup, reads them on each scrape, which also lets the
//! ages (`…_last_item_age_seconds`, `…_cursor_lag_seconds`) be computed at scrape time.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, MetricEncoder};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use time::OffsetDateTime;

/// One source's numbers (`source="twitter"` / `"mastodon"` / `"bluesky"`).
#[derive(Debug, Default)]
pub struct SourceMetrics {
    pub enabled: AtomicBool,
    pub connected: AtomicBool,
    pub reconnects: AtomicU64,
    pub items: AtomicU64,
    last_item_unix: AtomicI64,
    /// Twitter: rules in force; Mastodon: hashtags subscribed; Bluesky: hashtags filtered for.
    pub rules: AtomicU64,
    pub rules_rejected: AtomicU64,
}

impl SourceMetrics {
    pub fn item_seen(&self) {
        self.items.fetch_add(1, Relaxed);
        self.last_item_unix
            .store(OffsetDateTime::now_utc().unix_timestamp(), Relaxed);
    }

    /// Seconds since the last item, if any arrived.
    pub fn last_item_age_secs(&self) -> Option<i64> {
        let last = self.last_item_unix.load(Relaxed);
        (last > 0).then(|| OffsetDateTime::now_utc().unix_timestamp() - last)
    }
}

/// Everything the process reports.
#[derive(Debug, Default)]
pub struct Metrics {
    pub twitter: SourceMetrics,
    pub mastodon: SourceMetrics,
    pub bluesky: SourceMetrics,
    /// Jetstream frames read (the whole network's posts, before filtering).
    pub bluesky_frames: AtomicU64,
    /// `ingest.retract` queued: delivered posts deleted upstream.
    pub bluesky_retracts: AtomicU64,
    /// The Jetstream cursor (`time_us` of the last frame handled); 0 = none yet.
    pub bluesky_cursor_us: AtomicI64,
    /// 1 while this instance holds the single-active lock.
    pub active: AtomicBool,
    /// Attempts to take the single-active lock (a standby keeps counting).
    pub lock_attempts: AtomicU64,
    pub buffered: AtomicU64,
    pub buffer_dropped: AtomicU64,
    pub duplicates_skipped: AtomicU64,
    pub published: AtomicU64,
    pub publish_failures: AtomicU64,
}

pub type SharedMetrics = Arc<Metrics>;

/// One number as it is exported.
enum Sample {
    Gauge(i64),
    Ratio(f64),
    Counter(u64),
}

impl Sample {
    fn metric_type(&self) -> MetricType {
        match self {
            Sample::Gauge(_) | Sample::Ratio(_) => MetricType::Gauge,
            Sample::Counter(_) => MetricType::Counter,
        }
    }

    fn encode(self, encoder: MetricEncoder) -> std::fmt::Result {
        match self {
            Sample::Gauge(v) => ConstGauge::new(v).encode(encoder),
            Sample::Ratio(v) => ConstGauge::new(v).encode(encoder),
            Sample::Counter(v) => ConstCounter::new(v).encode(encoder),
        }
    }
}

/// Reads one number of a source.
type Getter = fn(&SourceMetrics) -> Sample;

/// Every per-source metric: name (under `tm_ingest_`), help, reader.
const PER_SOURCE: [(&str, &str, Getter); 7] = [
    ("source_enabled", "1 when the source is configured", |s| {
        Sample::Gauge(i64::from(s.enabled.load(Relaxed)))
    }),
    ("source_connected", "1 while the source's stream is up", |s| {
        Sample::Gauge(i64::from(s.connected.load(Relaxed)))
    }),
    ("source_reconnects", "Stream reconnects", |s| {
        Sample::Counter(s.reconnects.load(Relaxed))
    }),
    ("source_items", "Matching items received", |s| {
        Sample::Counter(s.items.load(Relaxed))
    }),
    (
        "source_last_item_age_seconds",
        "Seconds since the last item (-1: none yet)",
        |s| Sample::Gauge(s.last_item_age_secs().unwrap_or(-1)),
    ),
    (
        "source_rules",
        "Twitter: rules in force; Mastodon: hashtags subscribed; Bluesky: hashtags filtered for",
        |s| Sample::Gauge(s.rules.load(Relaxed) as i64),
    ),
    ("source_rules_rejected", "Stream rules refused", |s| {
        Sample::Counter(s.rules_rejected.load(Relaxed))
    }),
];

impl Metrics {
    /// Registers every metric (once, at startup); `registry` adds the `tm_ingest_` prefix.
    pub fn register(self: &Arc<Self>, registry: &mut Registry) {
        registry.register_collector(Box::new(Scrape(Arc::clone(self))));
    }

    fn sources(&self) -> [(&'static str, &SourceMetrics); 3] {
        [
            ("twitter", &self.twitter),
            ("mastodon", &self.mastodon),
            ("bluesky", &self.bluesky),
        ]
    }

    fn globals(&self) -> [(&'static str, &'static str, Sample); 10] {
        let n = |v: &AtomicU64| Sample::Counter(v.load(Relaxed));
        [
            (
                "active",
                "1 while this instance holds the single-active lock",
                Sample::Gauge(i64::from(self.active.load(Relaxed))),
            ),
            (
                "lock_attempts",
                "Attempts to take the single-active lock",
                n(&self.lock_attempts),
            ),
            (
                "buffered_items",
                "Items waiting for the broker",
                Sample::Gauge(self.buffered.load(Relaxed) as i64),
            ),
            (
                "buffer_dropped",
                "Items dropped when the buffer was full",
                n(&self.buffer_dropped),
            ),
            (
                "duplicates_skipped",
                "Items not queued again (already delivered)",
                n(&self.duplicates_skipped),
            ),
            (
                "published",
                "ingest.item commands confirmed by the broker",
                n(&self.published),
            ),
            (
                "publish_failures",
                "ingest.item publishes that failed",
                n(&self.publish_failures),
            ),
            (
                "bluesky_frames",
                "Jetstream frames read (the whole network)",
                n(&self.bluesky_frames),
            ),
            (
                "bluesky_retracts",
                "ingest.retract commands queued",
                n(&self.bluesky_retracts),
            ),
            (
                "bluesky_cursor_lag_seconds",
                "How far the Jetstream cursor is behind now (-1: no frame yet)",
                Sample::Ratio(self.bluesky_cursor_lag_secs()),
            ),
        ]
    }

    fn bluesky_cursor_lag_secs(&self) -> f64 {
        let cursor = self.bluesky_cursor_us.load(Relaxed);
        if cursor > 0 {
            (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000 - i128::from(cursor)) as f64 / 1e6
        } else {
            -1.0
        }
    }
}

/// Reads the atomics on every scrape.
#[derive(Debug)]
struct Scrape(SharedMetrics);

impl Collector for Scrape {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        for (name, help, get) in PER_SOURCE {
            let kind = get(&self.0.twitter).metric_type();
            let mut family = encoder.encode_descriptor(name, help, None, kind)?;
            for (source, numbers) in self.0.sources() {
                let labels = [("source", source)];
                get(numbers).encode(family.encode_family(&labels)?)?;
            }
        }
        for (name, help, sample) in self.0.globals() {
            let metric = encoder.encode_descriptor(name, help, None, sample.metric_type())?;
            sample.encode(metric)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_per_source_lines() {
        let m = Arc::new(Metrics::default());
        let mut registry = tm_runtime::MetricsRegistry::new(crate::SERVICE, env!("CARGO_PKG_VERSION"));
        m.register(registry.service());
        m.twitter.connected.store(true, Relaxed);
        m.twitter.item_seen();
        let text = registry.encode();
        assert!(text.contains("tm_ingest_source_connected{source=\"twitter\"} 1"));
        assert!(text.contains("tm_ingest_source_items_total{source=\"twitter\"} 1"));
        assert!(text.contains("tm_ingest_source_last_item_age_seconds{source=\"mastodon\"} -1"));
        assert!(text.contains("tm_ingest_active 0"));
        let build = format!(
            "tm_build_info{{service=\"tm-ingest\",version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        assert!(text.contains(&build), "{text}");
        assert!(text.contains("tm_ingest_source_enabled{source=\"bluesky\"} 0"));
        assert!(text.contains("tm_ingest_bluesky_cursor_lag_seconds -1.0\n"));
    }
}
