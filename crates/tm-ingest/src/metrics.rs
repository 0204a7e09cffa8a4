//! Counters and gauges for `/metrics`, in Prometheus text format. Plain atomics: no registry
//! crate for a dozen numbers.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

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

/// Reads one number of a source.
type Getter = fn(&SourceMetrics) -> i64;

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

impl Metrics {
    /// The Prometheus exposition text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let b = |v: &AtomicBool| u64::from(v.load(Relaxed));
        let n = |v: &AtomicU64| v.load(Relaxed);
        let per_source: [(&str, &str, Getter); 7] = [
            ("tm_ingest_source_enabled", "gauge", |s| {
                i64::from(s.enabled.load(Relaxed))
            }),
            ("tm_ingest_source_connected", "gauge", |s| {
                i64::from(s.connected.load(Relaxed))
            }),
            ("tm_ingest_source_reconnects_total", "counter", |s| {
                s.reconnects.load(Relaxed) as i64
            }),
            ("tm_ingest_source_items_total", "counter", |s| {
                s.items.load(Relaxed) as i64
            }),
            ("tm_ingest_source_last_item_age_seconds", "gauge", |s| {
                s.last_item_age_secs().unwrap_or(-1)
            }),
            ("tm_ingest_source_rules", "gauge", |s| s.rules.load(Relaxed) as i64),
            ("tm_ingest_source_rules_rejected_total", "counter", |s| {
                s.rules_rejected.load(Relaxed) as i64
            }),
        ];
        for (name, kind, get) in per_source {
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for (label, source) in [
                ("twitter", &self.twitter),
                ("mastodon", &self.mastodon),
                ("bluesky", &self.bluesky),
            ] {
                let _ = writeln!(out, "{name}{{source=\"{label}\"}} {}", get(source));
            }
        }
        let globals = [
            ("tm_ingest_active", "gauge", b(&self.active)),
            ("tm_ingest_lock_attempts_total", "counter", n(&self.lock_attempts)),
            ("tm_ingest_buffered_items", "gauge", n(&self.buffered)),
            ("tm_ingest_buffer_dropped_total", "counter", n(&self.buffer_dropped)),
            (
                "tm_ingest_duplicates_skipped_total",
                "counter",
                n(&self.duplicates_skipped),
            ),
            ("tm_ingest_published_total", "counter", n(&self.published)),
            ("tm_ingest_publish_failures_total", "counter", n(&self.publish_failures)),
            ("tm_ingest_bluesky_frames_total", "counter", n(&self.bluesky_frames)),
            ("tm_ingest_bluesky_retracts_total", "counter", n(&self.bluesky_retracts)),
        ];
        for (name, kind, value) in globals {
            let _ = writeln!(out, "# TYPE {name} {kind}\n{name} {value}");
        }
        let cursor = self.bluesky_cursor_us.load(Relaxed);
        let lag = if cursor > 0 {
            (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000 - i128::from(cursor)) as f64 / 1e6
        } else {
            -1.0
        };
        let _ = writeln!(
            out,
            "# TYPE tm_ingest_bluesky_cursor_lag_seconds gauge\ntm_ingest_bluesky_cursor_lag_seconds {lag:.3}"
        );
        tm_runtime::with_build_info(out, "tm-ingest", env!("CARGO_PKG_VERSION"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_per_source_lines() {
        let m = Metrics::default();
        m.twitter.connected.store(true, Relaxed);
        m.twitter.item_seen();
        let text = m.render();
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
        assert!(text.contains("tm_ingest_bluesky_cursor_lag_seconds -1.000"));
    }
}
