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

    /// Collects everything a subscriber writes, so a test can see what was logged.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn notifying_without_systemd_is_harmless() {
        assert!(
            std::env::var_os("NOTIFY_SOCKET").is_none(),
            "this test needs to run outside systemd"
        );
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer({
                let captured = captured.clone();
                move || captured.clone()
            })
            .finish();

        tracing::subscriber::with_default(subscriber, || {
            notify_ready();
            notify_stopping();
        });

        let logged = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert_eq!(logged, "", "no warning (or anything else) outside systemd");
        assert_eq!(
            watchdog_interval(sd_notify::watchdog_enabled()),
            None,
            "and no watchdog to feed"
        );
    }
}
