//! The ops listener: `GET /healthz`, `GET /readyz` and `GET /metrics`, nothing else.
//!
//! `/healthz` answers while the process runs; `/readyz` only while it is connected to the broker,
//! since without the broker nothing it matches can reach a room (a standby is ready: it can take
//! over the moment the active instance stops).
//!
//! A deliberately tiny HTTP/1.1 responder on tokio (one request per connection, then close):
//! two read-only endpoints do not justify a web framework. Requests are bounded in size and
//! time, and connections are capped, so a misbehaving scraper cannot hurt the ingester.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use tm_bus::Bus;

use crate::metrics::SharedMetrics;

const MAX_REQUEST: usize = 8 * 1024;
const MAX_CONNECTIONS: usize = 64;

/// Serves until `stop`.
pub async fn serve(listener: TcpListener, metrics: SharedMetrics, bus: Bus, stop: CancellationToken) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (conn, _) = tokio::select! {
            _ = stop.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(err) => {
                    tracing::warn!(error = %err, "ops listener accept failed");
                    continue;
                }
            },
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            continue; // over the cap: drop the connection
        };
        let metrics = metrics.clone();
        let bus = bus.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _ = tokio::time::timeout(Duration::from_secs(5), respond(conn, &metrics, &bus)).await;
        });
    }
}

async fn respond(mut conn: TcpStream, metrics: &SharedMetrics, bus: &Bus) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < MAX_REQUEST {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    let mut parts = head.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (status, content_type, body) = match (method, path) {
        ("GET", "/healthz") => {
            let role = if metrics.active.load(Relaxed) {
                "active"
            } else {
                "standby"
            };
            ("200 OK", "text/plain; charset=utf-8", format!("ok {role}\n"))
        }
        ("GET", "/readyz") if bus.is_connected() => ("200 OK", "text/plain; charset=utf-8", "ready\n".to_owned()),
        ("GET", "/readyz") => (
            "503 Service Unavailable",
            "text/plain; charset=utf-8",
            "not ready: no broker connection\n".to_owned(),
        ),
        ("GET", "/metrics") => ("200 OK", "text/plain; version=0.0.4", metrics.render()),
        ("GET", _) => ("404 Not Found", "text/plain; charset=utf-8", "not found\n".to_owned()),
        _ => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            "GET only\n".to_owned(),
        ),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(response.as_bytes()).await?;
    conn.shutdown().await
}
