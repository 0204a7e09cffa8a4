//! Exponential backoff with jitter and a cap, never giving up.
//!
//! Used between reconnect attempts, between session restarts and between retries of a handler
//! that reported a transient error. Jitter ("equal jitter": a random point in the upper half of
//! the current step) keeps a fleet of services from reconnecting in lock-step after an outage.

use std::time::Duration;

use rand::Rng;

/// Unbounded retry schedule: `min`, `2·min`, `4·min` … capped at `max`, each jittered.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    min: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    pub(crate) fn new(min: Duration, max: Duration) -> Self {
        Backoff {
            min,
            max: max.max(min),
            attempt: 0,
        }
    }

    /// The delay before the next attempt; grows until the cap, then stays there.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let factor = 1u32 << self.attempt.min(20);
        self.attempt = self.attempt.saturating_add(1);
        let step = self.min.saturating_mul(factor).min(self.max);
        let half = step / 2;
        let jitter_ms = rand::rng().random_range(0..=half.as_millis().max(1) as u64);
        half + Duration::from_millis(jitter_ms)
    }

    /// Back to the first step, after a success.
    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
    }

    /// How many delays were handed out since the last reset.
    pub(crate) fn attempts(&self) -> u32 {
        self.attempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_is_capped_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(30));
        let first = b.next_delay();
        assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(101));
        for _ in 0..100 {
            assert!(b.next_delay() <= Duration::from_millis(30_001));
        }
        let late = b.next_delay();
        assert!(late >= Duration::from_secs(15), "capped step still large: {late:?}");
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(101));
    }
}
