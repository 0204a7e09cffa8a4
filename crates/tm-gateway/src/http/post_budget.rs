//! Posts per client address, whatever participant the posts claim.
//!
//! The participant id in a join token comes from a cookie the browser keeps, which a client can
//! throw away to get a fresh identity (and with it fresh slow mode and rate limits at the CMS).
//! The client address is not the client's to pick (the TCP peer, or the `X-Real-IP` a trusted
//! proxy set), so a token bucket per address bounds what one host can post however many
//! identities it rotates through. Addresses whose bucket is full again are pruned.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Addresses are pruned once this many are tracked.
const PRUNE_AT: usize = 4096;

/// A token bucket per client address (GCRA).
#[derive(Debug)]
pub struct AddressPostBudget {
    /// Time one token takes to come back; zero turns the budget off.
    interval: Duration,
    /// How far ahead of now an address's bucket may be: `burst - 1` intervals.
    tolerance: Duration,
    /// Per address: when its bucket is full again. Absent: full.
    full_at: Mutex<HashMap<IpAddr, Instant>>,
}

impl AddressPostBudget {
    /// `per_minute` posts a minute per address with bursts of `burst`; `per_minute = 0` turns
    /// the budget off.
    pub fn new(per_minute: u32, burst: u32) -> Self {
        let interval = if per_minute == 0 {
            Duration::ZERO
        } else {
            Duration::from_secs(60) / per_minute
        };
        AddressPostBudget {
            interval,
            tolerance: interval * burst.max(1).saturating_sub(1),
            full_at: Mutex::default(),
        }
    }

    /// Spends one post of `address` at `now`; `Err(wait)` when its bucket is empty.
    pub fn spend(&self, address: IpAddr, now: Instant) -> Result<(), Duration> {
        if self.interval.is_zero() {
            return Ok(());
        }
        let mut full_at = self.full_at.lock().unwrap_or_else(PoisonError::into_inner);
        if full_at.len() >= PRUNE_AT && !full_at.contains_key(&address) {
            full_at.retain(|_, at| *at > now);
        }
        let next = full_at.get(&address).copied().unwrap_or(now).max(now);
        let allowed_from = next.checked_sub(self.tolerance).unwrap_or(now);
        if now < allowed_from {
            return Err(allowed_from - now);
        }
        full_at.insert(address, next + self.interval);
        Ok(())
    }

    /// Addresses tracked now (for tests and the pruning check).
    pub fn tracked(&self) -> usize {
        self.full_at.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
    }

    #[test]
    fn an_address_gets_its_burst_then_the_refill_rate() {
        let budget = AddressPostBudget::new(60, 3); // one a second, three at once
        let start = Instant::now();
        for _ in 0..3 {
            assert!(budget.spend(ip(1), start).is_ok());
        }
        assert_eq!(budget.spend(ip(1), start), Err(Duration::from_secs(1)));
        assert!(budget.spend(ip(2), start).is_ok(), "another address has its own bucket");
        assert!(budget.spend(ip(1), start + Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn zero_per_minute_turns_it_off() {
        let budget = AddressPostBudget::new(0, 1);
        let now = Instant::now();
        assert!((0..1000).all(|_| budget.spend(ip(1), now).is_ok()));
        assert_eq!(budget.tracked(), 0);
    }

    #[test]
    fn addresses_whose_bucket_refilled_are_pruned() {
        let budget = AddressPostBudget::new(60, 2);
        let start = Instant::now();
        for i in 0..PRUNE_AT {
            let address = IpAddr::V6(std::net::Ipv6Addr::from(i as u128));
            budget.spend(address, start).unwrap();
        }
        assert_eq!(budget.tracked(), PRUNE_AT);
        budget.spend(ip(9), start + Duration::from_secs(5)).unwrap();
        assert_eq!(budget.tracked(), 1, "only the bucket that is not full is kept");
    }
}
