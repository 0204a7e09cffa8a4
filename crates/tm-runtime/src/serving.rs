//! How a service watches its server: it runs until shutdown, and a server that ends before
//! shutdown is a failure of the whole service (it stops, with an error exit, so systemd
//! restarts it) rather than a process that lingers without serving.

use tokio::task::{JoinError, JoinHandle};

use crate::Shutdown;

/// Why a service's server stopped before shutdown was requested.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("the server failed: {0}")]
    Failed(#[source] std::io::Error),
    #[error("the server stopped before shutdown was requested")]
    StoppedEarly,
    #[error("the server task panicked or was cancelled: {0}")]
    Panicked(#[source] JoinError),
}

/// Waits for `shutdown` or for `server` to end, whichever comes first.
///
/// `Ok` means shutdown was requested and `server` is still running: the caller stops it in its
/// own order. `Err` means the server ended by itself (its handle is then spent): shutdown is
/// triggered, so every other task of the service drains as on SIGTERM.
pub async fn serve_until_shutdown(
    server: &mut JoinHandle<std::io::Result<()>>,
    shutdown: &Shutdown,
) -> Result<(), ServerError> {
    let ended = tokio::select! {
        _ = shutdown.cancelled() => return Ok(()),
        ended = server => ended,
    };
    shutdown.trigger();
    let err = match ended {
        Ok(Ok(())) => ServerError::StoppedEarly,
        Ok(Err(err)) => ServerError::Failed(err),
        Err(err) => ServerError::Panicked(err),
    };
    tracing::error!(error = %err, "stopping the service: its server is gone");
    Err(err)
}

/// Waits for a server that was told to stop: `Ok` once it has, or why it failed on the way.
pub async fn join_stopped(server: JoinHandle<std::io::Result<()>>) -> Result<(), ServerError> {
    match server.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => Err(ServerError::Failed(err)),
        Err(err) => Err(ServerError::Panicked(err)),
    }
}

#[cfg(test)]
mod tests {
    use std::future::pending;

    use super::*;

    #[tokio::test]
    async fn shutdown_leaves_the_server_running_for_the_caller_to_stop() {
        let shutdown = Shutdown::new();
        let mut server = tokio::spawn(pending::<std::io::Result<()>>());
        shutdown.trigger();
        serve_until_shutdown(&mut server, &shutdown).await.unwrap();
        assert!(!server.is_finished());
        server.abort();
    }

    #[tokio::test]
    async fn a_failing_server_is_an_error_and_trips_shutdown() {
        let shutdown = Shutdown::new();
        let mut server = tokio::spawn(async { Err(std::io::Error::other("accept loop died")) });
        let err = serve_until_shutdown(&mut server, &shutdown).await.unwrap_err();
        assert!(
            matches!(&err, ServerError::Failed(e) if e.to_string() == "accept loop died"),
            "{err}"
        );
        assert!(shutdown.is_triggered(), "the rest of the service drains");
    }

    #[tokio::test]
    async fn a_server_that_ends_quietly_or_panics_is_an_error_too() {
        let shutdown = Shutdown::new();
        let mut quiet = tokio::spawn(async { Ok(()) });
        let err = serve_until_shutdown(&mut quiet, &shutdown).await.unwrap_err();
        assert!(matches!(err, ServerError::StoppedEarly), "{err}");

        let shutdown = Shutdown::new();
        let mut panicking = tokio::spawn(async { panic!("bug in a handler") });
        let err = serve_until_shutdown(&mut panicking, &shutdown).await.unwrap_err();
        assert!(matches!(err, ServerError::Panicked(_)), "{err}");
    }
}
