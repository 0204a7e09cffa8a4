//! In-memory rate limits (governor): posts per participant and per client address, and
//! password attempts per address and room. Per instance: with N CMS instances the effective
//! limit is up to N times higher, which is acceptable for abuse damping.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::Settings;

pub struct Limiters {
    posts: DefaultKeyedRateLimiter<String>,
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
            posts: RateLimiter::keyed(quota(settings.posting.per_minute, settings.posting.burst)),
            joins: RateLimiter::keyed(quota(joins, joins)),
        }
    }

    /// One post by `key` (a participant id or `ip:<address>`).
    pub fn post(&self, key: &str) -> Result<(), Duration> {
        check(&self.posts, key.to_owned())
    }

    /// One password attempt from `ip` on room `room_id`.
    pub fn join_attempt(&self, ip: &str, room_id: u64) -> Result<(), Duration> {
        check(&self.joins, format!("{room_id}/{ip}"))
    }
}
