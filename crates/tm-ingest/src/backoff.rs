//! The reconnect policy of docs/sources.md as a pure state machine: no clock, no I/O.
//!
//! | situation | wait |
//! |---|---|
//! | an established stream ends | reconnect at once |
//! | TCP/IP error | linear: +250 ms per try, at most 16 s |
//! | HTTP error (4xx/5xx other than 429) | exponential from 5 s, doubling, at most 320 s |
//! | HTTP 429 (or 420) | exponential from 60 s, doubling |
//! | HTTP 200 received | reset all waits |
//!
//! Each kind keeps its own counter (as tweepy does): a network blip after a run of 503s does
//! not inherit the 503 wait. The 429 row has no cap in the table; we stop doubling at 960 s
//! (one 15-minute rate-limit window plus a minute), since waiting longer than the window
//! can only lose matches. The connection loops feed every outcome in here and sleep for what
//! comes out, through an injected [`crate::clock::Sleeper`], so tests check the waits exactly.

use std::time::Duration;

/// Linear step for network errors.
pub const NETWORK_STEP: Duration = Duration::from_millis(250);
/// Cap for network errors.
pub const NETWORK_MAX: Duration = Duration::from_secs(16);
/// First wait after an HTTP error.
pub const HTTP_START: Duration = Duration::from_secs(5);
/// Cap for HTTP errors.
pub const HTTP_MAX: Duration = Duration::from_secs(320);
/// First wait after HTTP 429 / 420.
pub const RATE_LIMIT_START: Duration = Duration::from_secs(60);
/// Where 429 doubling stops (see the module doc).
pub const RATE_LIMIT_MAX: Duration = Duration::from_secs(960);

/// Why a connection attempt or an established connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disconnect {
    /// The stream was established (HTTP 200 seen) and then ended: the server closed it, sent
    /// an operational-disconnect, or went silent past the stall timeout.
    StreamEnded,
    /// TCP/IP (or TLS, or a read error before any HTTP status): connect refused, reset, DNS.
    Network,
    /// An HTTP status other than 200: 4xx/5xx; 429 and 420 get the rate-limit row.
    Http(u16),
}

/// The waits, per kind of failure; `Default` is the reset state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconnectPolicy {
    network_tries: u32,
    http_wait: Option<Duration>,
    rate_limit_wait: Option<Duration>,
}

impl ReconnectPolicy {
    pub fn new() -> Self {
        Self::default()
    }

    /// HTTP 200 received: every wait starts from the beginning again.
    pub fn connected(&mut self) {
        *self = Self::default();
    }

    /// Records a disconnect and returns how long to wait before the next attempt.
    pub fn next_wait(&mut self, why: Disconnect) -> Duration {
        match why {
            Disconnect::StreamEnded => Duration::ZERO,
            Disconnect::Network => {
                self.network_tries = self.network_tries.saturating_add(1);
                NETWORK_STEP.saturating_mul(self.network_tries).min(NETWORK_MAX)
            }
            Disconnect::Http(420 | 429) => {
                let wait = next_doubling(self.rate_limit_wait, RATE_LIMIT_START, RATE_LIMIT_MAX);
                self.rate_limit_wait = Some(wait);
                wait
            }
            Disconnect::Http(_) => {
                let wait = next_doubling(self.http_wait, HTTP_START, HTTP_MAX);
                self.http_wait = Some(wait);
                wait
            }
        }
    }
}

fn next_doubling(previous: Option<Duration>, start: Duration, max: Duration) -> Duration {
    previous.map_or(start, |p| p.saturating_mul(2)).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn waits(policy: &mut ReconnectPolicy, why: Disconnect, n: usize) -> Vec<Duration> {
        (0..n).map(|_| policy.next_wait(why)).collect()
    }

    #[test]
    fn an_ended_stream_reconnects_at_once() {
        let mut p = ReconnectPolicy::new();
        assert_eq!(waits(&mut p, Disconnect::StreamEnded, 3), vec![Duration::ZERO; 3]);
    }

    #[test]
    fn network_errors_back_off_linearly_by_250ms_up_to_16s() {
        let mut p = ReconnectPolicy::new();
        let w = waits(&mut p, Disconnect::Network, 70);
        assert_eq!(w[0], Duration::from_millis(250));
        assert_eq!(w[1], Duration::from_millis(500));
        assert_eq!(w[2], Duration::from_millis(750));
        assert_eq!(w[63], secs(16));
        assert_eq!(w[64], secs(16), "capped at 16 s");
        assert_eq!(w[69], secs(16));
    }

    #[test]
    fn http_errors_back_off_exponentially_from_5s_up_to_320s() {
        let mut p = ReconnectPolicy::new();
        let w = waits(&mut p, Disconnect::Http(503), 9);
        let expected: Vec<Duration> = [5, 10, 20, 40, 80, 160, 320, 320, 320].into_iter().map(secs).collect();
        assert_eq!(w, expected);
    }

    #[test]
    fn auth_errors_are_http_errors_and_never_spin() {
        let mut p = ReconnectPolicy::new();
        assert_eq!(waits(&mut p, Disconnect::Http(401), 2), vec![secs(5), secs(10)]);
        assert_eq!(p.next_wait(Disconnect::Http(403)), secs(20));
    }

    #[test]
    fn rate_limits_back_off_from_60s_doubling() {
        let mut p = ReconnectPolicy::new();
        let w = waits(&mut p, Disconnect::Http(429), 6);
        let expected: Vec<Duration> = [60, 120, 240, 480, 960, 960].into_iter().map(secs).collect();
        assert_eq!(w, expected);
        let mut p = ReconnectPolicy::new();
        assert_eq!(waits(&mut p, Disconnect::Http(420), 2), vec![secs(60), secs(120)]);
    }

    #[test]
    fn kinds_keep_separate_counters() {
        let mut p = ReconnectPolicy::new();
        p.next_wait(Disconnect::Http(503));
        p.next_wait(Disconnect::Http(503));
        assert_eq!(p.next_wait(Disconnect::Network), Duration::from_millis(250));
        assert_eq!(p.next_wait(Disconnect::Http(429)), secs(60));
        assert_eq!(p.next_wait(Disconnect::Http(500)), secs(20));
    }

    #[test]
    fn a_200_resets_every_wait() {
        let mut p = ReconnectPolicy::new();
        waits(&mut p, Disconnect::Http(503), 4);
        waits(&mut p, Disconnect::Http(429), 2);
        waits(&mut p, Disconnect::Network, 5);
        p.connected();
        assert_eq!(p, ReconnectPolicy::default());
        assert_eq!(p.next_wait(Disconnect::Http(503)), secs(5));
        assert_eq!(p.next_wait(Disconnect::Http(429)), secs(60));
        assert_eq!(p.next_wait(Disconnect::Network), Duration::from_millis(250));
    }
}
