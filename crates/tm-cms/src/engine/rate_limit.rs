//! In-memory rate limits: posts per participant and per client address (a token bucket judged
//! at the time the post was *received*, see [`PostBudget`]), and, with governor, password
//! attempts per address and room and room creations per address. Per instance: with N CMS
//! instances the effective limit is up to N times higher, which is acceptable for abuse damping.
//!
//! Each limiter keeps one entry per key it has seen. Entries whose state is back to "fresh"
//! carry no information and are removed: every [`PRUNE_EVERY`] checks of a governor limiter,
//! when the post budget's map grows, and on each sweep (`Limiters::prune`), so a stream of new
//! addresses cannot grow memory without end.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use time::OffsetDateTime;

use crate::config::Settings;

/// How many checks of one limiter between two prunings of it.
pub const PRUNE_EVERY: u64 = 1024;

/// A keyed limiter that prunes itself.
struct Keyed {
    limiter: DefaultKeyedRateLimiter<String>,
    checks: AtomicU64,
}

impl Keyed {
    fn new(quota: Quota) -> Self {
        Keyed {
            limiter: RateLimiter::keyed(quota),
            checks: AtomicU64::new(0),
        }
    }

    /// Ok, or how long to wait.
    fn check(&self, key: String) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.prune();
        }
        self.limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    fn prune(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    fn len(&self) -> usize {
        self.limiter.len()
    }
}

pub struct Limiters {
    posts: PostBudget,
    joins: Keyed,
    room_creations: Keyed,
}

fn quota(per_minute: u32, burst: u32) -> Quota {
    let per_minute = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(per_minute).allow_burst(burst)
}

/// `count` per `window`, all of them at once if need be.
fn quota_per_window(count: u32, window: Duration) -> Quota {
    let count = NonZeroU32::new(count.max(1)).unwrap_or(NonZeroU32::MIN);
    let period = (window / count.get()).max(Duration::from_millis(1));
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(count))
        .allow_burst(count)
}

impl Limiters {
    pub fn new(settings: &Settings) -> Self {
        let joins = settings.join.attempts_per_minute;
        let rooms = &settings.rooms;
        Limiters {
            posts: PostBudget::new(settings.posting.per_minute, settings.posting.burst),
            joins: Keyed::new(quota(joins, joins)),
            room_creations: Keyed::new(quota_per_window(
                rooms.creates_per_address,
                Duration::from_secs(rooms.create_window_secs.max(1)),
            )),
        }
    }

    /// One post by `key` (a participant id or `ip:<address>`), received at `at`.
    pub fn post(&self, key: &str, at: OffsetDateTime) -> Result<(), Duration> {
        self.posts.spend(key, at)
    }

    /// One password attempt from `ip` on room `room_id`.
    pub fn join_attempt(&self, ip: &str, room_id: u64) -> Result<(), Duration> {
        self.joins.check(format!("{room_id}/{ip}"))
    }

    /// One room created from `ip`.
    pub fn room_creation(&self, ip: &str) -> Result<(), Duration> {
        self.room_creations.check(ip.to_owned())
    }

    /// Drops every entry that is back to its fresh state (nothing to remember).
    pub fn prune(&self) {
        self.posts.prune(OffsetDateTime::now_utc());
        self.joins.prune();
        self.room_creations.prune();
    }

    /// Entries held, over all limiters.
    pub fn len(&self) -> usize {
        self.posts.len() + self.joins.len() + self.room_creations.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

/// The post budget prunes itself when its map holds this many keys and a new one arrives.
const PRUNE_BUDGET_AT: usize = 4096;

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
        if keys.len() >= PRUNE_BUDGET_AT && !keys.contains_key(key) {
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

    /// Forgets every key whose bucket is full again at `now`.
    pub fn prune(&self, now: OffsetDateTime) {
        let mut keys = self.keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.retain(|_, next| *next > now);
        keys.shrink_to_fit();
    }

    fn len(&self) -> usize {
        self.keys.lock().map(|k| k.len()).unwrap_or(0)
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.keys.lock().map(|k| k.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 60 000 a minute: one token back every millisecond, so entries go stale quickly.
    fn fast() -> Keyed {
        Keyed::new(quota(60_000, 1))
    }

    #[test]
    fn pruning_drops_keys_whose_limit_has_recovered_and_keeps_limited_ones() {
        let stale = fast();
        for i in 0..100 {
            stale.check(format!("10.0.0.{i}")).unwrap();
        }
        assert_eq!(stale.len(), 100);
        std::thread::sleep(Duration::from_millis(20));
        stale.prune();
        assert_eq!(stale.len(), 0, "recovered keys are forgotten");

        let slow = Keyed::new(quota(1, 1));
        slow.check("10.0.0.1".into()).unwrap();
        slow.prune();
        assert_eq!(slow.len(), 1, "a key still limited is kept");
        assert!(slow.check("10.0.0.1".into()).is_err(), "and still limited");
    }

    #[test]
    fn checks_prune_on_their_own_so_new_addresses_cannot_grow_the_map_without_end() {
        let limiter = fast();
        for i in 0..PRUNE_EVERY - 1 {
            limiter.check(format!("addr-{i}")).unwrap();
        }
        assert_eq!(limiter.len() as u64, PRUNE_EVERY - 1);
        std::thread::sleep(Duration::from_millis(20));
        limiter.check("one more".into()).unwrap();
        assert!(
            limiter.len() <= 1,
            "the {PRUNE_EVERY}th check pruned the stale entries: {} left",
            limiter.len()
        );
    }

    #[test]
    fn a_window_quota_allows_its_count_at_once_then_refuses() {
        let limiter = Keyed::new(quota_per_window(3, Duration::from_secs(600)));
        for _ in 0..3 {
            limiter.check("a".into()).unwrap();
        }
        let wait = limiter.check("a".into()).unwrap_err();
        assert!(
            wait > Duration::from_secs(100) && wait <= Duration::from_secs(200),
            "{wait:?}"
        );
        assert!(limiter.check("b".into()).is_ok(), "another address has its own count");
    }

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
        for i in 0..PRUNE_BUDGET_AT {
            budget.spend(&format!("k{i}"), long_ago).unwrap();
        }
        budget.spend("fresh", OffsetDateTime::now_utc()).unwrap();
        assert_eq!(budget.tracked(), 1, "only the key whose bucket is not full yet is kept");
    }
}
