//! A listener that serves only the ops endpoints, for a service with no HTTP of its own.
//!
//! One request per connection, then close; requests bounded in time and connections capped,
//! so a misbehaving scraper cannot hurt the service.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::{Ops, OpsResponse};

const MAX_CONNECTIONS: usize = 64;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves `/healthz`, `/readyz` and `/metrics` on `listener` until `stop` resolves.
pub async fn serve(listener: TcpListener, ops: Arc<Ops>, stop: impl Future<Output = ()>) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(stop);
    loop {
        let stream = tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    // Typically out of file descriptors: back off instead of spinning.
                    tracing::warn!(error = %err, "ops listener accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            continue; // over the cap: drop the connection
        };
        let ops = Arc::clone(&ops);
        tokio::spawn(async move {
            let _permit = permit;
            let service = service_fn(move |req| {
                let ops = Arc::clone(&ops);
                async move { Ok::<_, Infallible>(answer(req, &ops).await) }
            });
            let mut builder = http1::Builder::new();
            builder
                .keep_alive(false)
                .timer(TokioTimer::new())
                .header_read_timeout(REQUEST_TIMEOUT);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            match tokio::time::timeout(REQUEST_TIMEOUT, connection).await {
                Ok(Err(err)) => tracing::debug!(error = %err, "ops connection error"),
                Err(_) => tracing::debug!("ops connection timed out"),
                Ok(Ok(())) => {}
            }
        });
    }
}

async fn answer(req: Request<Incoming>, ops: &Ops) -> Response<Full<Bytes>> {
    if req.method() != Method::GET {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "GET only\n");
    }
    match ops.respond(req.uri().path()).await {
        Some(response) => response.into_hyper(),
        None => plain(StatusCode::NOT_FOUND, "not found\n"),
    }
}

fn plain(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    OpsResponse {
        status,
        content_type: "text/plain; charset=utf-8",
        body: body.to_owned(),
    }
    .into_hyper()
}

impl OpsResponse {
    /// The answer as a hyper response (tm-gateway serves hyper too).
    pub fn into_hyper(self) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(Bytes::from(self.body)));
        *response.status_mut() = self.status;
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        response
    }
}
