//! Latency recording in an HDR histogram (microsecond resolution, 3 significant figures, up to
//! 10 minutes) and the percentile summary every scenario reports.

use hdrhistogram::Histogram;

/// Highest latency recorded without saturating: 10 minutes, in µs.
pub const MAX_US: u64 = 600_000_000;

/// A latency histogram in microseconds.
#[derive(Debug, Clone)]
pub struct LatencyHist {
    h: Histogram<u64>,
}

/// Percentiles in microseconds, as reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Summary {
    /// Number of samples.
    pub count: u64,
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// 99.9th percentile.
    pub p999_us: u64,
    /// Largest sample.
    pub max_us: u64,
    /// Mean.
    pub mean_us: f64,
}

impl LatencyHist {
    /// An empty histogram.
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

    /// Number of samples.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.h.len()
    }

    /// Whether nothing was recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.h.is_empty()
    }

    /// Forgets every sample.
    pub fn reset(&mut self) {
        self.h.reset();
    }

    /// The percentile summary (all zero when empty).
    #[must_use]
    pub fn summary(&self) -> Summary {
        if self.h.is_empty() {
            return Summary::default();
        }
        Summary {
            count: self.h.len(),
            p50_us: self.h.value_at_quantile(0.50),
            p90_us: self.h.value_at_quantile(0.90),
            p99_us: self.h.value_at_quantile(0.99),
            p999_us: self.h.value_at_quantile(0.999),
            max_us: self.h.max(),
            mean_us: self.h.mean(),
        }
    }
}

impl Summary {
    /// Adds this summary's figures to a metrics map with `prefix` (e.g. `lat_` → `lat_p99_us`).
    pub fn put(&self, prefix: &str, m: &mut std::collections::BTreeMap<String, f64>) {
        m.insert(format!("{prefix}count"), self.count as f64);
        m.insert(format!("{prefix}p50_us"), self.p50_us as f64);
        m.insert(format!("{prefix}p90_us"), self.p90_us as f64);
        m.insert(format!("{prefix}p99_us"), self.p99_us as f64);
        m.insert(format!("{prefix}p999_us"), self.p999_us as f64);
        m.insert(format!("{prefix}max_us"), self.max_us as f64);
        m.insert(format!("{prefix}mean_us"), self.mean_us);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: u64, want: u64) -> bool {
        // 3 significant figures: within 0.1 % (plus one unit for small values).
        got.abs_diff(want) <= want / 1000 + 1
    }

    #[test]
    fn percentiles_of_uniform() {
        let mut h = LatencyHist::new().unwrap();
        for us in 1..=10_000u64 {
            h.record_us(us);
        }
        let s = h.summary();
        assert_eq!(s.count, 10_000);
        assert!(close(s.p50_us, 5_000), "{s:?}");
        assert!(close(s.p90_us, 9_000), "{s:?}");
        assert!(close(s.p99_us, 9_900), "{s:?}");
        assert!(close(s.p999_us, 9_990), "{s:?}");
        assert!(close(s.max_us, 10_000), "{s:?}");
        assert!((s.mean_us - 5_000.5).abs() < 10.0, "{s:?}");
    }

    #[test]
    fn ns_rounding_clamping_and_tail() {
        let mut h = LatencyHist::new().unwrap();
        h.record_ns(0); // clamped to 1 µs
        h.record_ns(1_499); // 1 µs
        h.record_ns(1_500); // 2 µs
        h.record_ns(u64::MAX); // saturates at MAX_US
        let s = h.summary();
        assert_eq!(s.count, 4);
        assert_eq!(s.p50_us, 1);
        assert!(close(s.max_us, MAX_US));
        // One slow outlier in 1000 shows at p99.9 but not p99.
        let mut h = LatencyHist::new().unwrap();
        for _ in 0..999 {
            h.record_us(100);
        }
        h.record_us(50_000);
        let s = h.summary();
        assert_eq!(s.p99_us, 100);
        assert!(close(s.max_us, 50_000));
        assert!(close(s.p999_us, 100) || close(s.p999_us, 50_000));
    }

    #[test]
    fn merge_and_empty() {
        assert_eq!(LatencyHist::new().unwrap().summary(), Summary::default());
        let mut a = LatencyHist::new().unwrap();
        let mut b = LatencyHist::new().unwrap();
        for _ in 0..90 {
            a.record_us(10);
        }
        for _ in 0..10 {
            b.record_us(1000);
        }
        a.merge(&b);
        let s = a.summary();
        assert_eq!(s.count, 100);
        assert_eq!(s.p50_us, 10);
        assert!(close(s.p99_us, 1000));
        let mut m = std::collections::BTreeMap::new();
        s.put("lat_", &mut m);
        assert_eq!(m["lat_count"], 100.0);
    }
}
