//! One shutdown signal for the whole process.
//!
//! Every long-running loop selects on [`Shutdown::cancelled`] beside its work. SIGTERM or
//! SIGINT trips it once; a second signal is left to the default handler's successor (we exit
//! at once), so an operator can always stop a stuck drain.

use tokio_util::sync::CancellationToken;

/// A cloneable handle on the process's shutdown state.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    token: CancellationToken,
}

impl Shutdown {
    pub fn new() -> Self {
        Self::default()
    }

    /// Spawns the signal listener; the returned handle trips on SIGTERM or SIGINT.
    pub fn on_signals() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        let shutdown = Self::new();
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let trigger = shutdown.clone();
        tokio::spawn(async move {
            let name = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            };
            tracing::info!(signal = name, "shutdown requested; draining");
            trigger.trigger();
            tokio::select! {
                _ = term.recv() => {},
                _ = int.recv() => {},
            }
            tracing::warn!("second signal: exiting without finishing the drain");
            std::process::exit(130);
        });
        Ok(shutdown)
    }

    /// Starts the shutdown (also used by tests and by fatal errors).
    pub fn trigger(&self) {
        self.token.cancel();
    }

    pub fn is_triggered(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Resolves once shutdown has started.
    pub async fn cancelled(&self) {
        self.token.cancelled().await
    }

    /// The underlying token, for APIs that take one.
    pub fn token(&self) -> CancellationToken {
        self.token.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn clones_see_the_trigger() {
        let a = Shutdown::new();
        let b = a.clone();
        assert!(!b.is_triggered());
        a.trigger();
        b.cancelled().await;
        assert!(b.is_triggered() && b.token().is_cancelled());
    }

    #[tokio::test]
    async fn sigterm_trips_it() {
        let shutdown = Shutdown::on_signals().unwrap();
        // SAFETY-free: sending a signal to ourselves through the standard kill command.
        let status = std::process::Command::new("kill")
            .args(["-TERM", &std::process::id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        tokio::time::timeout(std::time::Duration::from_secs(10), shutdown.cancelled())
            .await
            .unwrap();
    }
}
