//! In-memory rate limits: posts per participant and per client address (a token bucket judged
//! at the time the post was *received*, see [`PostBudget`]), and password attempts per address
//! and room (governor). Per instance: with N CMS instances the effective limit is up to N times
//! higher, which is acceptable for abuse damping.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use time::OffsetDateTime;

use crate::config::Settings;

pub struct Limiters {
    posts: PostBudget,
    joins: DefaultKeyedRateLimiter<String>,
}

fn quota(per_minute: u32, burst: u32) -> Quota {
    let per_minute = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(per_minute).allow_burst(burst)
}

/// Ok, or how long to wait.
fn check(limiter: &DefaultKeyedRateLimiter<String>, key: String) -> Result<(), Duration> {
    limiter
        .check_key(&key)
        .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
}

impl Limiters {
    pub fn new(settings: &Settings) -> Self {
        let joins = settings.join.attempts_per_minute;
        Limiters {
            posts: PostBudget::new(settings.posting.per_minute, settings.posting.burst),
            joins: RateLimiter::keyed(quota(joins, joins)),
        }
    }

    /// One post by `key` (a participant id or `ip:<address>`), received at `at`.
    pub fn post(&self, key: &str, at: OffsetDateTime) -> Result<(), Duration> {
        self.posts.spend(key, at)
    }

    /// One password attempt from `ip` on room `room_id`.
    pub fn join_attempt(&self, ip: &str, room_id: u64) -> Result<(), Duration> {
        check(&self.joins, format!("{room_id}/{ip}"))
    }
}

/// A keyed token bucket (GCRA) that is told *when* each post was received instead of reading
/// the clock: posts that queued up behind a database or CMS outage are judged by when their
/// poster sent them, so a backlog consumed in one burst passes exactly when the posts would
/// have passed live.
pub struct PostBudget {
    /// Time one token takes to come back.
    interval: time::Duration,
    /// How far ahead of a key's time its bucket may be: `burst - 1` intervals.
    tolerance: time::Duration,
    /// Per key: the theoretical arrival time of its next post. Only keys with a bucket that is
    /// not full yet are kept (pruned as they refill).
    keys: Mutex<HashMap<String, OffsetDateTime>>,
}

/// Keys are pruned when the map grows past this many since the last prune.
const PRUNE_EVERY: usize = 4096;

impl PostBudget {
    pub fn new(per_minute: u32, burst: u32) -> Self {
        let interval = time::Duration::minutes(1) / per_minute.max(1);
        PostBudget {
            interval,
            tolerance: interval * burst.max(1).saturating_sub(1),
            keys: Mutex::default(),
        }
    }

    /// Spends one token of `key` at `at`; Err(how long to wait) when the bucket is empty.
    pub fn spend(&self, key: &str, at: OffsetDateTime) -> Result<(), Duration> {
        let mut keys = self.keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if keys.len() >= PRUNE_EVERY && !keys.contains_key(key) {
            // A key whose next arrival time has passed has a full bucket: same as absent.
            let now = OffsetDateTime::now_utc();
            keys.retain(|_, next| *next > now);
        }
        let next = keys.get(key).copied().unwrap_or(at).max(at);
        let allowed_from = next - self.tolerance;
        if at < allowed_from {
            return Err((allowed_from - at).unsigned_abs());
        }
        keys.insert(key.to_owned(), next + self.interval);
        Ok(())
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.keys.lock().map(|k| k.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(seconds)
    }

    #[test]
    fn a_burst_passes_then_posts_come_at_the_refill_rate() {
        let budget = PostBudget::new(30, 3); // one token per 2 s, three at once
        for _ in 0..3 {
            assert!(budget.spend("p", at(0)).is_ok());
        }
        let wait = budget.spend("p", at(0)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(2));
        assert!(budget.spend("p", at(1)).is_err());
        assert!(budget.spend("p", at(2)).is_ok());
        assert!(budget.spend("other", at(0)).is_ok(), "keys are independent");
    }

    #[test]
    fn posts_are_judged_at_their_own_time_not_when_they_are_judged() {
        // Twenty posts sent 2 s apart, judged all at once after an outage: each is on time.
        let budget = PostBudget::new(30, 3);
        for i in 0..20 {
            assert!(budget.spend("p", at(i * 2)).is_ok(), "post {i}");
        }
    }

    #[test]
    fn refilled_keys_are_pruned() {
        let budget = PostBudget::new(60, 1);
        let long_ago = OffsetDateTime::now_utc() - time::Duration::hours(1);
        for i in 0..PRUNE_EVERY {
            budget.spend(&format!("k{i}"), long_ago).unwrap();
        }
        budget.spend("fresh", OffsetDateTime::now_utc()).unwrap();
        assert_eq!(budget.tracked(), 1, "only the key whose bucket is not full yet is kept");
    }
}
