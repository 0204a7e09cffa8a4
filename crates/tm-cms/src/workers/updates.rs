//! The coalesced-updates loop: one `Engine::updates().flush()` (engine/updates.rs) every
//! `[qa] update_interval_ms`, so each message or poll gets at most one count update per
//! interval however fast the votes come.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::engine::Engine;

/// Flushes every `interval` until shutdown; a failed flush keeps its rows for the next one.
pub async fn run(engine: Engine, interval: Duration, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(interval) => {}
        }
        if let Err(err) = engine.updates().flush().await {
            tracing::warn!(error = %err, "flushing vote counts failed; will retry");
        }
    }
}
