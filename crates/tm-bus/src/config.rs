//! How to reach the broker and how hard to push it: [`BusConfig`].

use std::time::Duration;

use serde::Deserialize;

/// Bus settings, read from the service's config file (`[bus]`). Unknown keys are an error.
/// `Debug` hides the password in `url`, so settings can be logged and printed.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BusConfig {
    /// AMQP URL, e.g. `amqp://guest:guest@127.0.0.1:5672/%2f` (vhost `/` is `%2f`).
    pub url: String,
    /// Prepended to every exchange and queue name; `""` in production, unique per test.
    pub prefix: String,
    /// AMQP heartbeat; a silent peer is declared dead after about twice this.
    pub heartbeat_secs: u16,
    /// Unacknowledged deliveries in flight per consumer.
    pub prefetch: u16,
    /// Quorum-queue `x-delivery-limit` for command queues (see [`crate::topology`]).
    pub delivery_limit: u32,
    /// First reconnect / retry delay, in milliseconds (doubles per failure, jittered).
    pub backoff_min_ms: u64,
    /// Cap on the delay between reconnect attempts and between handler retries, in seconds.
    pub backoff_max_secs: u64,
    /// How long a publish waits for the broker's confirm before it reports a timeout.
    pub confirm_timeout_secs: u64,
    /// How long one connection attempt may wait for TCP and for the broker's first answer.
    pub connect_timeout_secs: u64,
    /// PEM file of extra CAs to trust for `amqps://` (a private CA); the system's trust store
    /// is always used. Unset: the system's alone.
    pub tls_ca_file: Option<std::path::PathBuf>,
}

impl Default for BusConfig {
    fn default() -> Self {
        BusConfig {
            url: "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned(),
            prefix: String::new(),
            heartbeat_secs: 10,
            prefetch: 32,
            delivery_limit: 5,
            backoff_min_ms: 100,
            backoff_max_secs: 30,
            confirm_timeout_secs: 30,
            connect_timeout_secs: 10,
            tls_ca_file: None,
        }
    }
}

impl std::fmt::Debug for BusConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BusConfig")
            .field("url", &redact_password(&self.url))
            .field("prefix", &self.prefix)
            .field("heartbeat_secs", &self.heartbeat_secs)
            .field("prefetch", &self.prefetch)
            .field("delivery_limit", &self.delivery_limit)
            .field("backoff_min_ms", &self.backoff_min_ms)
            .field("backoff_max_secs", &self.backoff_max_secs)
            .field("confirm_timeout_secs", &self.confirm_timeout_secs)
            .field("connect_timeout_secs", &self.connect_timeout_secs)
            .field("tls_ca_file", &self.tls_ca_file)
            .finish()
    }
}

/// `amqp://user:secret@host/` → `amqp://user:[redacted]@host/`, for each URL of a comma list.
pub fn redact_password(urls: &str) -> String {
    urls.split(',')
        .map(|url| {
            let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
                return url.to_owned();
            };
            let authority_end = url[scheme_end..].find('/').map_or(url.len(), |i| scheme_end + i);
            let authority = &url[scheme_end..authority_end];
            match authority
                .rfind('@')
                .and_then(|at| authority[..at].find(':').map(|colon| (colon, at)))
            {
                Some((colon, at)) => format!(
                    "{}{}:[redacted]{}",
                    &url[..scheme_end],
                    &authority[..colon],
                    &url[scheme_end + at..]
                ),
                None => url.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(feature = "test-support")]
impl BusConfig {
    /// Settings for a test on the test broker (`tm_testkit::amqp_url()`) under `prefix`: a short
    /// heartbeat, backoff and timeouts so outages and recoveries take seconds, not minutes.
    pub fn for_test(prefix: &str) -> BusConfig {
        BusConfig {
            url: tm_testkit::amqp_url(),
            prefix: prefix.to_owned(),
            heartbeat_secs: 5,
            backoff_min_ms: 50,
            backoff_max_secs: 1,
            confirm_timeout_secs: 10,
            connect_timeout_secs: 2,
            ..BusConfig::default()
        }
    }

    /// The same settings connecting through `addr` (a `tm_testkit::ChaosProxy`) instead.
    pub fn for_test_via(prefix: &str, addr: std::net::SocketAddr) -> BusConfig {
        BusConfig {
            url: tm_testkit::url_via(&tm_testkit::amqp_url(), addr),
            ..BusConfig::for_test(prefix)
        }
    }
}

impl BusConfig {
    pub(crate) fn backoff_min(&self) -> Duration {
        Duration::from_millis(self.backoff_min_ms.max(1))
    }

    pub(crate) fn backoff_max(&self) -> Duration {
        Duration::from_secs(self.backoff_max_secs.max(1))
    }

    pub(crate) fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs.max(1))
    }

    pub(crate) fn confirm_timeout(&self) -> Duration {
        Duration::from_secs(self.confirm_timeout_secs.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_password() {
        let cfg = BusConfig {
            url: "amqps://tm:s3cret@a:5671/%2f,amqp://tm:s3cret@b/v".into(),
            ..BusConfig::default()
        };
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("amqps://tm:[redacted]@a:5671/%2f,amqp://tm:[redacted]@b/v"),
            "{shown}"
        );
        assert_eq!(
            redact_password("amqp://127.0.0.1:5672/%2f"),
            "amqp://127.0.0.1:5672/%2f"
        );
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = serde_json::from_str::<BusConfig>(r#"{"url":"amqp://x","colour":"red"}"#);
        assert!(err.is_err());
    }

    #[test]
    fn missing_keys_take_defaults() {
        let cfg: BusConfig = serde_json::from_str(r#"{"prefix":"t."}"#).unwrap();
        assert_eq!(cfg.prefix, "t.");
        assert_eq!(cfg.heartbeat_secs, 10);
        assert_eq!(cfg.delivery_limit, 5);
    }
}
