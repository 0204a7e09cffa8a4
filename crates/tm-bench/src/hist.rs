//! Latency recording in an HDR histogram (microsecond resolution, 3 significant figures, up to
//! 10 minutes) and the percentile summary every scenario reports.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

/// Highest latency recorded without saturating: 10 minutes, in µs.
pub const MAX_US: u64 = 600_000_000;

/// The percentiles reported, by metric suffix.
const PERCENTILES: [(&str, f64); 4] = [("p50_us", 0.50), ("p90_us", 0.90), ("p99_us", 0.99), ("p999_us", 0.999)];

/// A latency histogram in microseconds.
#[derive(Debug, Clone)]
pub struct LatencyHist {
    h: Histogram<u64>,
}

impl LatencyHist {
    pub fn new() -> Result<Self, hdrhistogram::CreationError> {
        Ok(Self {
            h: Histogram::new_with_bounds(1, MAX_US, 3)?,
        })
    }

    /// Records a latency given in nanoseconds (rounded to µs, at least 1 µs, saturating).
    pub fn record_ns(&mut self, ns: u64) {
        self.record_us(ns.saturating_add(500) / 1000);
    }

    /// Records a latency in microseconds (clamped to 1..=[`MAX_US`]).
    pub fn record_us(&mut self, us: u64) {
        self.h.saturating_record(us.clamp(1, MAX_US));
    }

    /// Adds every sample of `other`.
    pub fn merge(&mut self, other: &Self) {
        // Same bounds on both sides, so adding cannot fail; saturate rather than panic anyway.
        if self.h.add(&other.h).is_err() {
            for v in other.h.iter_recorded() {
                self.h.saturating_record_n(v.value_iterated_to(), v.count_at_value());
            }
        }
    }

    pub fn len(&self) -> u64 {
        self.h.len()
    }

    pub fn is_empty(&self) -> bool {
        self.h.is_empty()
    }

    pub fn reset(&mut self) {
        self.h.reset();
    }

    /// Adds the summary to a metrics map under `prefix` (`lat_` → `lat_count`, `lat_p50_us`,
    /// `lat_p90_us`, `lat_p99_us`, `lat_p999_us`, `lat_max_us`, `lat_mean_us`); all 0 when empty.
    pub fn put(&self, prefix: &str, m: &mut BTreeMap<String, f64>) {
        let h = &self.h;
        m.insert(format!("{prefix}count"), h.len() as f64);
        for (name, q) in PERCENTILES {
            let v = if h.is_empty() { 0 } else { h.value_at_quantile(q) };
            m.insert(format!("{prefix}{name}"), v as f64);
        }
        // Both are 0 for an empty histogram.
        m.insert(format!("{prefix}max_us"), h.max() as f64);
        m.insert(format!("{prefix}mean_us"), h.mean());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(h: &LatencyHist) -> BTreeMap<String, f64> {
        let mut m = BTreeMap::new();
        h.put("", &mut m);
        m
    }

    fn close(got: f64, want: u64) -> bool {
        // 3 significant figures: within 0.1 % (plus one unit for small values).
        (got as u64).abs_diff(want) <= want / 1000 + 1
    }

    #[test]
    fn percentiles_of_uniform() {
        let mut h = LatencyHist::new().unwrap();
        for us in 1..=10_000u64 {
            h.record_us(us);
        }
        let s = summary(&h);
        assert_eq!(s["count"], 10_000.0);
        for (name, want) in [
            ("p50_us", 5_000),
            ("p90_us", 9_000),
            ("p99_us", 9_900),
            ("p999_us", 9_990),
        ] {
            assert!(close(s[name], want), "{s:?}");
        }
        assert!(close(s["max_us"], 10_000), "{s:?}");
        assert!((s["mean_us"] - 5_000.5).abs() < 10.0, "{s:?}");
    }

    #[test]
    fn ns_rounding_clamping_and_tail() {
        let mut h = LatencyHist::new().unwrap();
        h.record_ns(0); // clamped to 1 µs
        h.record_ns(1_499); // 1 µs
        h.record_ns(1_500); // 2 µs
        h.record_ns(u64::MAX); // saturates at MAX_US
        let s = summary(&h);
        assert_eq!((s["count"], s["p50_us"]), (4.0, 1.0));
        assert!(close(s["max_us"], MAX_US));
        // One slow outlier in 1000 shows at p99.9 but not p99.
        let mut h = LatencyHist::new().unwrap();
        for _ in 0..999 {
            h.record_us(100);
        }
        h.record_us(50_000);
        let s = summary(&h);
        assert_eq!(s["p99_us"], 100.0);
        assert!(close(s["max_us"], 50_000));
        assert!(close(s["p999_us"], 100) || close(s["p999_us"], 50_000));
    }

    #[test]
    fn merge_and_empty() {
        let empty = summary(&LatencyHist::new().unwrap());
        assert_eq!(empty.len(), 7);
        assert!(empty.values().all(|v| *v == 0.0), "{empty:?}");
        let mut a = LatencyHist::new().unwrap();
        let mut b = LatencyHist::new().unwrap();
        for _ in 0..90 {
            a.record_us(10);
        }
        for _ in 0..10 {
            b.record_us(1000);
        }
        a.merge(&b);
        let mut m = BTreeMap::new();
        a.put("lat_", &mut m);
        assert_eq!((m["lat_count"], m["lat_p50_us"]), (100.0, 10.0));
        assert!(close(m["lat_p99_us"], 1000));
    }
}
