//! Open sockets per client address, so that one host cannot take the whole gateway.
//!
//! The address is the TCP peer, or the `X-Real-IP` a trusted proxy (nginx) set: behind a proxy
//! every peer is the proxy. A socket holds an [`AddressPermit`] for its whole life; dropping it
//! gives the slot back, and an address with no open socket leaves no entry behind.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use hyper::header::HeaderMap;

/// The header nginx overwrites with the address it sees (deploy/nginx/tm.conf).
const REAL_IP: &str = "x-real-ip";

/// Counts of open sockets per client address.
#[derive(Debug)]
pub struct AddressQuota {
    limit: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One socket's slot in its address's quota.
#[derive(Debug)]
pub struct AddressPermit {
    quota: Arc<AddressQuota>,
    address: IpAddr,
}

impl AddressQuota {
    /// At most `limit` sockets per address (0 turns the quota off).
    pub fn new(limit: usize) -> Arc<AddressQuota> {
        Arc::new(AddressQuota {
            limit,
            open: Mutex::default(),
        })
    }

    /// A slot for `address`, or `None` when it already holds `limit` sockets.
    pub fn try_acquire(self: &Arc<Self>, address: IpAddr) -> Option<AddressPermit> {
        if self.limit > 0 {
            let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
            let count = open.entry(address).or_insert(0);
            if *count >= self.limit {
                return None;
            }
            *count += 1;
        }
        Some(AddressPermit {
            quota: Arc::clone(self),
            address,
        })
    }

    /// Sockets `address` holds now.
    pub fn open_for(&self, address: IpAddr) -> usize {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.get(&address).copied().unwrap_or(0)
    }
}

impl Drop for AddressPermit {
    fn drop(&mut self) {
        if self.quota.limit == 0 {
            return;
        }
        let mut open = self.quota.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.address) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.address);
            }
        }
    }
}

/// The client's address: `X-Real-IP` when the peer is a trusted proxy and the header parses,
/// else the peer itself (a header from anyone else is ignored: it could be forged).
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> IpAddr {
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    headers
        .get(REAL_IP)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use hyper::header::HeaderValue;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_address_gets_its_limit_and_its_slots_back_when_sockets_close() {
        let quota = AddressQuota::new(2);
        let a = quota.try_acquire(ip("10.0.0.1")).unwrap();
        let _b = quota.try_acquire(ip("10.0.0.1")).unwrap();
        assert!(quota.try_acquire(ip("10.0.0.1")).is_none());
        assert!(
            quota.try_acquire(ip("10.0.0.2")).is_some(),
            "other addresses are not affected"
        );
        drop(a);
        assert_eq!(quota.open_for(ip("10.0.0.1")), 1);
        assert!(quota.try_acquire(ip("10.0.0.1")).is_some());
    }

    #[test]
    fn a_closed_address_leaves_no_entry_and_zero_means_no_limit() {
        let quota = AddressQuota::new(1);
        drop(quota.try_acquire(ip("10.0.0.1")).unwrap());
        assert!(quota.open.lock().unwrap().is_empty());

        let unlimited = AddressQuota::new(0);
        let held: Vec<_> = (0..100)
            .map(|_| unlimited.try_acquire(ip("10.0.0.1")).unwrap())
            .collect();
        assert_eq!(held.len(), 100);
    }

    #[test]
    fn real_ip_is_believed_only_from_a_trusted_proxy() {
        let mut headers = HeaderMap::new();
        headers.insert(REAL_IP, HeaderValue::from_static("203.0.113.7"));
        let proxies = [ip("127.0.0.1")];
        assert_eq!(client_address(ip("127.0.0.1"), &headers, &proxies), ip("203.0.113.7"));
        assert_eq!(
            client_address(ip("198.51.100.1"), &headers, &proxies),
            ip("198.51.100.1")
        );
        headers.insert(REAL_IP, HeaderValue::from_static("not an address"));
        assert_eq!(client_address(ip("127.0.0.1"), &headers, &proxies), ip("127.0.0.1"));
        assert_eq!(
            client_address(ip("127.0.0.1"), &HeaderMap::new(), &proxies),
            ip("127.0.0.1")
        );
    }
}
