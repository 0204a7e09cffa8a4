//! Active or standby: take the broker lock, run the sources while holding it, stand by
//! otherwise.
//!
//! Losing the lock's connection is not the same as losing the lock: during a broker outage the
//! sources keep running (items wait in the delivery buffer) while the lock is re-taken every
//! `reacquire_ms`. Only the broker's `RESOURCE_LOCKED` — another instance got it first — stops them. A
//! standby retries every `retry_secs` (slower than the holder's re-take, so after a broker
//! restart the previous holder normally keeps its role).

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use tm_bus::ExclusiveLock;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::{millis, secs};
use crate::startup::Parts;

/// The lock's name under `bus.prefix`: an exclusive queue only one instance's connection holds.
pub const LOCK_NAME: &str = "ingest.lock";

enum Ended {
    Shutdown,
    TakenOver,
}

/// Runs until `shutdown`.
pub async fn run(parts: Arc<Parts>, shutdown: CancellationToken) {
    loop {
        let Some(mut lock) = acquire(&parts, &shutdown).await else {
            return;
        };
        parts.metrics.active.store(true, Relaxed);
        tracing::info!(instance = %parts.instance, "active: this instance runs the sources");
        let sources = CancellationToken::new();
        let mut tasks = start_sources(&parts, &sources);
        let ended = hold(&mut lock, &parts, &shutdown).await;
        sources.cancel();
        while tasks.join_next().await.is_some() {}
        parts.metrics.active.store(false, Relaxed);
        match ended {
            Ended::Shutdown => {
                lock.release().await;
                return;
            }
            Ended::TakenOver => {
                tracing::warn!("another instance took the lock; standing by");
            }
        }
    }
}

async fn acquire(parts: &Parts, shutdown: &CancellationToken) -> Option<ExclusiveLock> {
    let mut announced = false;
    loop {
        parts.metrics.lock_attempts.fetch_add(1, Relaxed);
        match ExclusiveLock::try_take(&parts.settings.bus, LOCK_NAME, &parts.instance).await {
            Ok(Some(lock)) => return Some(lock),
            Ok(None) if !announced => {
                tracing::info!("standby: another instance is active; retrying the lock");
                announced = true;
            }
            Ok(None) => tracing::debug!("still standing by"),
            Err(err) => tracing::warn!(error = %err, "cannot take the lock yet"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return None,
            _ = tokio::time::sleep(secs(parts.settings.lock.retry_secs)) => {}
        }
    }
}

async fn hold(lock: &mut ExclusiveLock, parts: &Parts, shutdown: &CancellationToken) -> Ended {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ended::Shutdown,
            _ = lock.lost() => {}
        }
        tracing::warn!("lost the lock's broker connection; re-taking it while the sources keep running");
        loop {
            match ExclusiveLock::try_take(&parts.settings.bus, LOCK_NAME, &parts.instance).await {
                Ok(Some(again)) => {
                    *lock = again;
                    tracing::info!("lock re-taken");
                    break;
                }
                Ok(None) => return Ended::TakenOver,
                Err(err) => tracing::debug!(error = %err, "lock not re-taken yet"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => return Ended::Shutdown,
                _ = tokio::time::sleep(millis(parts.settings.lock.reacquire_ms)) => {}
            }
        }
    }
}

fn start_sources(parts: &Arc<Parts>, stop: &CancellationToken) -> JoinSet<()> {
    let mut tasks = JoinSet::new();
    tasks.spawn(crate::bus::consume_watch_list(
        parts.bus.clone(),
        parts.publisher.clone(),
        parts.watch_tx.clone(),
        parts.store.clone(),
        stop.clone(),
    ));
    if let Some(twitter) = parts.twitter_source() {
        tasks.spawn(twitter.run(stop.clone()));
    }
    if let Some(mastodon) = parts.mastodon_source() {
        tasks.spawn(mastodon.run(stop.clone()));
    }
    if let Some(bluesky) = parts.bluesky_source() {
        tasks.spawn(bluesky.run(stop.clone()));
    }
    tasks
}
