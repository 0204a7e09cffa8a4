//! The expiry sweeper's loop: one `Engine::sweep` (engine/sweeper.rs) every interval.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::engine::Engine;

/// Sweeps every `interval` until shutdown; also forgets rate-limit entries that have
/// recovered.
pub async fn run(engine: Engine, interval: Duration, shutdown: CancellationToken) {
    loop {
        if let Err(err) = engine.sweeper().sweep().await {
            tracing::warn!(error = %err, "sweep failed; will retry");
        }
        engine.sweeper().prune_rate_limits();
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}
