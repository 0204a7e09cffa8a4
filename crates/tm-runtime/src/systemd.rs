//! systemd integration: `READY=1` once a service is listening and connected, `WATCHDOG=1`
//! while its runtime is alive, `STOPPING=1` when it drains. Outside systemd (no
//! `NOTIFY_SOCKET`) every call is a no-op, so development and tests need nothing.

use std::time::Duration;

use sd_notify::NotifyState;

use crate::Shutdown;

/// Tells systemd the service is up. Call after binding listeners and connecting to what the
/// service cannot work without.
pub fn notify_ready() {
    if let Err(error) = sd_notify::notify(&[NotifyState::Ready]) {
        tracing::warn!(%error, "could not notify systemd of readiness");
    }
}

/// Tells systemd the service is shutting down (so a slow drain is not mistaken for a hang).
pub fn notify_stopping() {
    if let Err(error) = sd_notify::notify(&[NotifyState::Stopping]) {
        tracing::warn!(%error, "could not notify systemd of stopping");
    }
}

/// Feeds the watchdog at half its interval until shutdown, when `WatchdogSec=` is set. The
/// pings come from a task on the service's own runtime: if the runtime wedges, they stop and
/// systemd restarts the service.
pub fn spawn_watchdog(shutdown: Shutdown) -> Option<tokio::task::JoinHandle<()>> {
    let interval = watchdog_interval(sd_notify::watchdog_enabled())?;
    tracing::info!(?interval, "feeding the systemd watchdog");
    Some(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = ticks.tick() => {
                    if let Err(error) = sd_notify::notify(&[NotifyState::Watchdog]) {
                        tracing::warn!(%error, "watchdog ping failed");
                    }
                }
            }
        }
    }))
}

/// Half the watchdog period, never below 100 ms.
fn watchdog_interval(period: Option<Duration>) -> Option<Duration> {
    period.map(|p| (p / 2).max(Duration::from_millis(100)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pings_at_half_the_period() {
        assert_eq!(watchdog_interval(None), None);
        assert_eq!(
            watchdog_interval(Some(Duration::from_secs(30))),
            Some(Duration::from_secs(15))
        );
        assert_eq!(
            watchdog_interval(Some(Duration::from_millis(10))),
            Some(Duration::from_millis(100))
        );
    }

    #[test]
    fn notifying_without_systemd_is_harmless() {
        // NOTIFY_SOCKET is not set under cargo test.
        notify_ready();
        notify_stopping();
    }
}
