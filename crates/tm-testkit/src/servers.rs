//! Where the test servers are: one vocabulary for every test crate.
//!
//! `TM_TEST_DATABASE_URL` and `TM_TEST_AMQP_URL` (see docs/development.md) point the tests at a
//! MariaDB server and a RabbitMQ broker; unset, the shared local ones are used. Tests never
//! spell a host or port themselves: they ask here, and put a proxy in the way with
//! [`url_via`].

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Once;

/// The MariaDB server (no database name) when `TM_TEST_DATABASE_URL` is unset.
pub const DEFAULT_DATABASE_URL: &str = "mysql://root@127.0.0.1:3306";
/// The RabbitMQ broker when `TM_TEST_AMQP_URL` is unset.
pub const DEFAULT_AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// The MariaDB server the tests create their databases on, without a database name.
pub fn database_url() -> String {
    let url = env_or("TM_TEST_DATABASE_URL", DEFAULT_DATABASE_URL);
    url.trim_end_matches('/').to_owned()
}

/// `database_url()` with the database `name` selected.
pub fn database_url_for(name: &str) -> String {
    format!("{}/{name}", database_url())
}

/// The MariaDB server's address, for a proxy in front of it.
pub fn database_addr() -> SocketAddr {
    socket_addr(&database_url())
}

/// The RabbitMQ broker the tests use (vhost included).
pub fn amqp_url() -> String {
    env_or("TM_TEST_AMQP_URL", DEFAULT_AMQP_URL)
}

/// The broker's address, for a proxy in front of it.
pub fn amqp_addr() -> SocketAddr {
    socket_addr(&amqp_url())
}

/// `url` with its host and port replaced by `addr` (a proxy's), keeping the scheme,
/// credentials, path and query: `url_via(&amqp_url(), proxy.addr())`.
pub fn url_via(url: &str, addr: SocketAddr) -> String {
    let parts = UrlParts::split(url);
    format!("{}{}{addr}{}", parts.scheme, parts.userinfo, parts.rest)
}

/// Installs a test-friendly tracing subscriber once per process: `warn` (lapin's own channel
/// errors hidden) unless `RUST_LOG` says otherwise, written so the test harness captures it.
pub fn init_test_tracing() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn,lapin=off".into());
        // Another subscriber may already be installed (a binary under test in this process).
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    });
}

fn env_or(var: &str, default: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// `scheme://userinfo@host:port/rest`, split so the host and port can be swapped.
struct UrlParts<'a> {
    /// `mysql://`
    scheme: &'a str,
    /// `user:password@`, or empty.
    userinfo: &'a str,
    /// `host:port`
    authority: &'a str,
    /// `/path?query`, or empty.
    rest: &'a str,
}

impl<'a> UrlParts<'a> {
    fn split(url: &'a str) -> UrlParts<'a> {
        let scheme_end = url.find("://").map_or(0, |i| i + 3);
        let after = &url[scheme_end..];
        let authority_end = after.find(['/', '?']).unwrap_or(after.len());
        let (userinfo, authority) = match after[..authority_end].rfind('@') {
            Some(at) => (&after[..=at], &after[at + 1..authority_end]),
            None => ("", &after[..authority_end]),
        };
        UrlParts {
            scheme: &url[..scheme_end],
            userinfo,
            authority,
            rest: &after[authority_end..],
        }
    }
}

fn socket_addr(url: &str) -> SocketAddr {
    let authority = UrlParts::split(url).authority;
    authority
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .unwrap_or_else(|| panic!("test server URL {url:?} does not name a reachable host:port"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_takes_the_place_of_host_and_port_only() {
        let proxy: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        assert_eq!(
            url_via("amqp://guest:guest@10.0.0.1:5673/%2f", proxy),
            "amqp://guest:guest@127.0.0.1:4000/%2f"
        );
        assert_eq!(
            url_via("mysql://root@127.0.0.1:3307", proxy),
            "mysql://root@127.0.0.1:4000"
        );
        assert_eq!(
            url_via("mysql://127.0.0.1:3307/db?prefer_socket=false", proxy),
            "mysql://127.0.0.1:4000/db?prefer_socket=false"
        );
    }

    #[test]
    fn the_address_is_the_urls_host_and_port() {
        assert_eq!(
            socket_addr("amqp://guest:p@ss@127.0.0.1:5673/%2f"),
            "127.0.0.1:5673".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(
            socket_addr("mysql://root@127.0.0.1:3307"),
            "127.0.0.1:3307".parse::<SocketAddr>().unwrap()
        );
    }
}
