//! What `/readyz` reports: named checks, ready when every one passes.

use std::future::Future;
use std::pin::Pin;

/// The outcome of one readiness probe, e.g. `database: true, broker: false`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Readiness {
    checks: Vec<(&'static str, bool)>,
}

impl Readiness {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one named check (its name becomes a field of the `/readyz` body).
    pub fn check(mut self, name: &'static str, passed: bool) -> Self {
        self.checks.push((name, passed));
        self
    }

    pub fn is_ready(&self) -> bool {
        self.checks.iter().all(|(_, passed)| *passed)
    }

    pub fn checks(&self) -> &[(&'static str, bool)] {
        &self.checks
    }
}

/// The future a [`ReadinessCheck`] returns.
pub type ReadinessFuture<'a> = Pin<Box<dyn Future<Output = Readiness> + Send + 'a>>;

/// How a service finds out whether it can do its work right now (asked on every `/readyz`).
pub trait ReadinessCheck: Send + Sync + 'static {
    fn readiness(&self) -> ReadinessFuture<'_>;
}

/// A check that needs no I/O (flags the service keeps up to date) is a plain closure.
impl<F> ReadinessCheck for F
where
    F: Fn() -> Readiness + Send + Sync + 'static,
{
    fn readiness(&self) -> ReadinessFuture<'_> {
        let readiness = self();
        Box::pin(async move { readiness })
    }
}
