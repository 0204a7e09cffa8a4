//! Open-loop send schedule: message *k* is due at `start + k / rate`, computed from *k* (never by
//! adding periods, so nothing drifts), and carries that *intended* time, not the time it actually
//! left. A slow send delays the ones after it, which then go out back to back and are measured
//! from when they should have gone — no coordinated omission.

use std::time::Duration;

use tokio::time::Instant;

/// The schedule of `count` messages at `rate` per second from `start`.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    start: Instant,
    start_wall_ns: u64,
    rate: f64,
    count: u64,
}

impl Schedule {
    /// `count` messages at `rate`/s, the first due at `start` (whose wall-clock time, ns since
    /// the Unix epoch, is `start_wall_ns`).
    pub fn new(start: Instant, start_wall_ns: u64, rate: f64, count: u64) -> Self {
        Self {
            start,
            start_wall_ns,
            rate: rate.max(1e-6),
            count,
        }
    }

    /// `rate`/s for `secs` seconds, starting now.
    pub fn starting_now(rate: f64, secs: f64) -> Self {
        let count = (rate * secs).round().max(0.0) as u64;
        Self::new(Instant::now(), crate::wall_ns(), rate, count)
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// Offset of message `k` from the start.
    pub fn offset(&self, k: u64) -> Duration {
        Duration::from_nanos((k as f64 * 1e9 / self.rate).round() as u64)
    }

    /// When message `k` is due.
    pub fn due(&self, k: u64) -> Instant {
        self.start + self.offset(k)
    }

    /// Intended send time of message `k`, ns since the Unix epoch (what goes in the body).
    pub fn intended_ns(&self, k: u64) -> u64 {
        self.start_wall_ns
            .saturating_add(u64::try_from(self.offset(k).as_nanos()).unwrap_or(u64::MAX))
    }

    /// When the last message is due.
    pub fn end(&self) -> Instant {
        self.due(self.count)
    }
}

/// What happened while running a schedule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoopStats {
    /// Sends that returned Ok.
    pub sent: u64,
    /// Sends that returned an error.
    pub failed: u64,
    /// Largest lateness of a send's start behind its due time, µs.
    pub max_lag_us: u64,
    /// Sends that started more than 1 ms late.
    pub late: u64,
    /// Whether the hard deadline cut the schedule short.
    pub cut_short: bool,
}

/// Runs `schedule`: waits for each due time (unless already late), calls `send(k, intended_ns)`.
/// Stops at the end of the schedule, or at `deadline` (a hard bound on the loop's wall time), or
/// after `max_failures` consecutive failures.
pub async fn run_open_loop<F, E>(schedule: &Schedule, deadline: Instant, max_failures: u64, mut send: F) -> LoopStats
where
    F: AsyncFnMut(u64, u64) -> Result<(), E>,
    E: std::fmt::Display,
{
    let mut st = LoopStats::default();
    let mut consecutive = 0;
    for k in 0..schedule.count() {
        let due = schedule.due(k);
        tokio::time::sleep_until(due).await;
        let now = Instant::now();
        if now >= deadline {
            st.cut_short = true;
            break;
        }
        let lag = now.saturating_duration_since(due);
        st.max_lag_us = st.max_lag_us.max(u64::try_from(lag.as_micros()).unwrap_or(u64::MAX));
        if lag > Duration::from_millis(1) {
            st.late += 1;
        }
        match send(k, schedule.intended_ns(k)).await {
            Ok(()) => {
                st.sent += 1;
                consecutive = 0;
            }
            Err(e) => {
                st.failed += 1;
                consecutive += 1;
                tracing::warn!(k, error = %e, "send failed");
                if consecutive >= max_failures {
                    st.cut_short = true;
                    break;
                }
            }
        }
    }
    st
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn due_times_are_computed_not_accumulated() {
        let t0 = Instant::now();
        let s = Schedule::new(t0, 1_000, 3.0, 3_000_001);
        // 1/3 s does not divide evenly; after a million periods there is still no drift.
        assert_eq!(s.offset(3), Duration::from_secs(1));
        assert_eq!(s.offset(3_000_000), Duration::from_secs(1_000_000));
        assert_eq!(s.intended_ns(3_000_000), 1_000 + 1_000_000 * 1_000_000_000);
        assert_eq!(s.due(0), t0);
        let s = Schedule::starting_now(20.0, 10.0);
        assert_eq!(s.count(), 200);
        assert_eq!(s.offset(1), Duration::from_millis(50));
    }

    #[tokio::test(start_paused = true)]
    async fn slow_sends_do_not_shift_intended_times() {
        let start = Instant::now();
        let s = Schedule::new(start, 5_000_000_000, 100.0, 10); // every 10 ms
        let seen = RefCell::new(Vec::new());
        let st = run_open_loop(&s, start + Duration::from_secs(60), 3, async |k, t| {
            seen.borrow_mut().push((k, t, Instant::now()));
            // Each send takes 25 ms: 2.5 periods.
            tokio::time::sleep(Duration::from_millis(25)).await;
            Ok::<(), String>(())
        })
        .await;
        assert_eq!(st.sent, 10);
        assert!(!st.cut_short);
        let seen = seen.into_inner();
        for (k, t, at) in &seen {
            // The body carries the schedule's time, whatever the actual send time.
            assert_eq!(*t, 5_000_000_000 + k * 10_000_000, "k={k}");
            // Send k starts after the k previous 25 ms sends: late, never early.
            assert_eq!(*at, start + Duration::from_millis(25 * k));
        }
        // The last one started 9*25 - 9*10 = 135 ms late.
        assert_eq!(st.max_lag_us, 135_000);
        assert_eq!(st.late, 9);
    }

    #[tokio::test(start_paused = true)]
    async fn fast_sends_follow_the_schedule_and_deadline_bounds() {
        let start = Instant::now();
        let s = Schedule::new(start, 0, 10.0, 50); // every 100 ms, 5 s
        let times = RefCell::new(Vec::new());
        let st = run_open_loop(&s, start + Duration::from_millis(1_050), 3, async |_, _| {
            times.borrow_mut().push(Instant::now());
            Ok::<(), String>(())
        })
        .await;
        assert!(st.cut_short);
        assert_eq!(st.sent, 11); // 0 ms … 1000 ms
        for (k, at) in times.into_inner().iter().enumerate() {
            assert_eq!(*at, start + Duration::from_millis(100 * k as u64));
        }
        assert_eq!(st.max_lag_us, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn consecutive_failures_stop_the_loop() {
        let s = Schedule::new(Instant::now(), 0, 1000.0, 100);
        let st = run_open_loop(&s, Instant::now() + Duration::from_secs(10), 3, async |_, _| {
            Err::<(), _>("down")
        })
        .await;
        assert_eq!((st.sent, st.failed, st.cut_short), (0, 3, true));
    }
}
