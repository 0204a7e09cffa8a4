//! Free loopback ports for services under test.

use std::net::{SocketAddr, TcpListener};

/// A port the OS just handed out on 127.0.0.1. Another process could take it before we bind
/// it again, but on a test machine that race is rare and shows as a clear bind error.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// `127.0.0.1:<free port>`.
pub fn free_addr() -> anyhow::Result<SocketAddr> {
    Ok(SocketAddr::from(([127, 0, 0, 1], free_port()?)))
}
