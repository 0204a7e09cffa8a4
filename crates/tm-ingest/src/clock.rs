//! The one place the connection loops wait between attempts, injectable for tests.
//!
//! Production sleeps with tokio's timer. Tests hand in a [`Sleeper`] that records each
//! requested wait and returns at once, so the reconnect table is checked exactly without
//! wall-clock sleeps (tokio's paused time cannot be used there: it auto-advances while the
//! loop waits on real sockets to the fake servers).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// A boxed future, so the trait stays object-safe.
pub type SleepFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Waits for a duration. The loops always race it against shutdown.
pub trait Sleeper: Send + Sync + 'static {
    fn sleep(&self, wait: Duration) -> SleepFuture<'_>;
}

/// tokio's timer (works with `tokio::time::pause()` too).
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, wait: Duration) -> SleepFuture<'_> {
        Box::pin(tokio::time::sleep(wait))
    }
}

/// The shared handle the loops hold.
pub type SharedSleeper = Arc<dyn Sleeper>;

/// The production sleeper.
pub fn tokio_sleeper() -> SharedSleeper {
    Arc::new(TokioSleeper)
}
