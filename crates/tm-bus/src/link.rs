//! The connection supervisor: one AMQP connection per [`crate::Bus`], re-made forever.
//!
//! We do not use lapin's `enable_auto_recover()`; see the crate doc for why. Instead a task
//! owns the connection: it connects (retrying with jittered backoff, capped, without end),
//! declares the topology, publishes the live connection with a new *generation* number on a
//! `watch` channel, waits until the connection dies, and starts over. Publishers, consumers and
//! subscriptions read the watch: a changed generation means "new connection, open new channels
//! and re-declare what you own".

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use lapin::tcp::OwnedTLSConfig;
use lapin::uri::{AMQPScheme, AMQPUri};
use lapin::{Connect, Connection, ConnectionProperties};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::backoff::Backoff;
use crate::config::BusConfig;
use crate::error::BusError;
use crate::names::Names;
use crate::topology;

/// Longest a lapin handshake may take once the probe succeeded. Hitting it leaks one lapin IO
/// thread and socket (see [`connect_and_declare`]), so it is long and should be rare.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(120);
/// How often the supervisor double-checks the connection state between lapin events.
const LIVENESS_CHECK: Duration = Duration::from_millis(500);

/// The current connection, if any, and which one it is.
#[derive(Clone, Default)]
pub(crate) struct Link {
    pub(crate) generation: u64,
    pub(crate) conn: Option<Arc<Connection>>,
    pub(crate) closed: bool,
}

impl Link {
    /// The connection if it is up right now.
    pub(crate) fn live(&self) -> Option<Arc<Connection>> {
        self.conn.as_ref().filter(|c| c.status().connected()).cloned()
    }
}

/// Where and how to connect: the URL with our heartbeat and timeout, and the extra trust
/// anchors for `amqps://` ([`BusConfig::tls_ca_file`]).
#[derive(Clone)]
pub(crate) struct Endpoint {
    pub(crate) uri: AMQPUri,
    tls: OwnedTLSConfig,
}

impl Endpoint {
    /// lapin's connect to this broker with its TLS trust anchors. Call [`probe`] first.
    pub(crate) fn connect(
        &self,
        props: ConnectionProperties,
    ) -> Result<impl std::future::Future<Output = lapin::Result<Connection>>, BusError> {
        // Backoff inside lapin stays at its default of zero retries: our callers own retrying.
        Ok(self
            .uri
            .clone()
            .connect_with_config(props, self.tls.clone(), lapin::runtime::default_runtime()?))
    }
}

/// Every broker of `bus.url` (a comma-separated list names the nodes of a cluster), in order.
pub(crate) fn parse_urls(cfg: &BusConfig) -> Result<Vec<Endpoint>, BusError> {
    let cert_chain = match &cfg.tls_ca_file {
        Some(path) => {
            Some(std::fs::read_to_string(path).map_err(|e| BusError::TlsCaFile(format!("{}: {e}", path.display())))?)
        }
        None => None,
    };
    let mut endpoints = Vec::new();
    for url in cfg.url.split(',').map(str::trim).filter(|u| !u.is_empty()) {
        let mut uri = AMQPUri::from_str(url)
            .map_err(|e| BusError::InvalidUrl(format!("{e} (in {})", crate::config::redact_password(url))))?;
        uri.query.heartbeat = Some(cfg.heartbeat_secs);
        uri.query.connection_timeout = Some(cfg.connect_timeout().as_millis() as u64);
        if cert_chain.is_some() && uri.scheme != AMQPScheme::AMQPS {
            return Err(BusError::TlsCaFile(
                "bus.tls_ca_file is set but bus.url is not amqps://".to_owned(),
            ));
        }
        endpoints.push(Endpoint {
            uri,
            tls: OwnedTLSConfig {
                identity: None,
                cert_chain: cert_chain.clone(),
            },
        });
    }
    if endpoints.is_empty() {
        return Err(BusError::InvalidUrl("bus.url is empty".to_owned()));
    }
    Ok(endpoints)
}

/// Runs until `stop` is cancelled; always leaves the watch with `closed = true`. With several
/// endpoints (a cluster), a failed attempt or a lost connection moves on to the next node, so
/// a dead node costs one refused connect, not a backoff cycle on the same address.
pub(crate) async fn supervise(
    cfg: BusConfig,
    endpoints: Vec<Endpoint>,
    connection_name: String,
    state: watch::Sender<Link>,
    stop: CancellationToken,
) {
    let names = Names::new(&cfg.prefix);
    let mut backoff = Backoff::new(cfg.backoff_min(), cfg.backoff_max());
    let mut generation = 0u64;
    let mut next = 0usize;
    while !stop.is_cancelled() {
        let endpoint = &endpoints[next % endpoints.len()];
        next = next.wrapping_add(1);
        let node = format!("{}:{}", endpoint.uri.authority.host, endpoint.uri.authority.port);
        match connect_and_declare(endpoint, &connection_name, &names, &cfg).await {
            Ok(conn) => {
                backoff.reset();
                generation += 1;
                let conn = Arc::new(conn);
                tracing::info!(generation, connection_name, node, "connected to the broker");
                state.send_modify(|link| {
                    link.generation = generation;
                    link.conn = Some(conn.clone());
                });
                wait_until_dead(&conn, &stop).await;
                state.send_modify(|link| link.conn = None);
                if stop.is_cancelled() {
                    if let Err(err) = conn.close(200, "bus closed".into()).await {
                        tracing::debug!(error = %err, "closing the connection");
                    }
                    break;
                }
                tracing::warn!(generation, node, "lost the broker connection; reconnecting");
            }
            Err(err) => {
                tracing::warn!(
                    error = %err,
                    node,
                    attempt = backoff.attempts() + 1,
                    "cannot reach the broker; will retry"
                );
                // The other nodes of a cluster are tried at once; the backoff applies per round.
                if !next.is_multiple_of(endpoints.len()) {
                    continue;
                }
            }
        }
        let delay = backoff.next_delay();
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep(delay) => {}
        }
    }
    state.send_modify(|link| {
        link.conn = None;
        link.closed = true;
    });
}

async fn connect_and_declare(
    endpoint: &Endpoint,
    name: &str,
    names: &Names,
    cfg: &BusConfig,
) -> Result<Connection, BusError> {
    // lapin starts an IO thread per attempt and that thread keeps its socket and waits for the
    // handshake even after the `connect` future is dropped. Timing out lapin's connect would
    // therefore leak a thread and a socket per attempt while a broker accepts TCP but does not
    // answer (seen here: a broker out of socket slots), and every leaked socket holds one of
    // the broker's slots. So we first check cheaply, on a socket we own, that the broker
    // speaks AMQP, and only then let lapin connect.
    let uri = &endpoint.uri;
    probe(uri, cfg.connect_timeout()).await?;
    let props = ConnectionProperties::default().with_connection_name(name.into());
    let connect = endpoint.connect(props)?;
    let conn = tokio::time::timeout(HANDSHAKE_TIMEOUT, connect)
        .await
        .map_err(|_| BusError::Unreachable("AMQP handshake timed out".to_owned()))??;
    // A node that answers the handshake but not the declarations (its queues still recovering
    // after a crash) must not hold the supervisor: give up, close, and try again.
    let after = cfg.confirm_timeout();
    let declared = match tokio::time::timeout(after, topology::declare(&conn, names, cfg)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => Err(err.into()),
        Err(_) => Err(BusError::Timeout {
            what: "the topology declarations",
            after,
        }),
    };
    if let Err(err) = declared {
        let _ = tokio::time::timeout(after, conn.close(200, "topology failed".into())).await;
        return Err(err);
    }
    Ok(conn)
}

/// Sends the AMQP 0-9-1 protocol header and waits for the broker's first byte
/// (`connection.start`). Plain `amqp://` only; TLS URLs skip the probe.
pub(crate) async fn probe(uri: &AMQPUri, timeout: Duration) -> Result<(), BusError> {
    if uri.scheme != AMQPScheme::AMQP {
        return Ok(());
    }
    let addr = (uri.authority.host.as_str(), uri.authority.port);
    let attempt = async {
        let mut socket = TcpStream::connect(addr).await?;
        socket.write_all(b"AMQP\x00\x00\x09\x01").await?;
        let mut first = [0u8; 1];
        match socket.read(&mut first).await? {
            0 => Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof)),
            _ => Ok(()),
        }
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => Err(BusError::Unreachable(err.to_string())),
        Err(_) => Err(BusError::Unreachable(
            "the broker accepted TCP but did not answer the AMQP header".to_owned(),
        )),
    }
}

async fn wait_until_dead(conn: &Connection, stop: &CancellationToken) {
    let mut events = conn.events_listener();
    let mut tick = tokio::time::interval(LIVENESS_CHECK);
    loop {
        if !conn.status().connected() {
            return;
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            event = events.next() => match event {
                Some(lapin::Event::Error(err)) => {
                    // Channel errors arrive here too; only a dead connection ends the wait.
                    tracing::debug!(error = %err, "broker connection event");
                }
                Some(_) => {}
                None => return,
            },
            _ = tick.tick() => {}
        }
    }
}
