//! Typed settings: the embedded `config/default.toml`, then `/etc/tm/ingest.toml`, then
//! `--config`, then `TM_INGEST__SECTION__KEY`. Unknown keys are errors. Every key is
//! documented in `docs/configuration-ingest.md`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use tm_bus::BusConfig;
use tm_runtime::{load_config, ConfigError, ConfigSources, LogFormat, Secret};

/// Settings that are comma-separated lists when given in the environment.
pub const LIST_KEYS: &[&str] = &["bluesky.endpoints"];

/// The built-in defaults.
pub const DEFAULTS: &str = include_str!("../config/default.toml");

/// systemd credentials (`LoadCredential=`) that override settings: secrets never sit in the
/// unit, the environment or a world-readable file. An empty file of an [`OPTIONAL_CREDENTIALS`]
/// one means "not set" (that source is off); an empty `amqp-url` is an error.
pub const CREDENTIALS: &[(&str, &str)] = &[
    ("amqp-url", "bus.url"),
    ("twitter-bearer-token", "twitter.bearer_token"),
    ("mastodon-access-token", "mastodon.access_token"),
];

/// The source tokens: optional, with a `SetCredential=` fallback (a lone newline) in the unit.
pub const OPTIONAL_CREDENTIALS: &[&str] = &["twitter-bearer-token", "mastodon-access-token"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub log: LogSettings,
    pub http: HttpSettings,
    pub bus: BusConfig,
    pub lock: LockSettings,
    pub delivery: DeliverySettings,
    pub state: StateSettings,
    pub twitter: TwitterSettings,
    pub mastodon: MastodonSettings,
    pub bluesky: BlueskySettings,
}

impl Settings {
    /// The production sources: defaults, `/etc/tm/ingest.toml`, `file`, environment,
    /// credentials.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        load_config(
            &ConfigSources::standard("ingest", DEFAULTS, file)
                .with_credentials(CREDENTIALS)
                .with_list_keys(LIST_KEYS)
                .with_optional_credentials(OPTIONAL_CREDENTIALS),
        )
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub filter: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// `/healthz`, `/readyz` and `/metrics`; port 0 picks a free port (tests).
    pub bind: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockSettings {
    pub retry_secs: u64,
    pub reacquire_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverySettings {
    pub buffer_capacity: usize,
    pub recent_ids: usize,
    pub retry_ms: u64,
    pub drain_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateSettings {
    /// Directory for `watchlist.json`; empty = no state file.
    pub dir: String,
}

impl StateSettings {
    pub fn dir(&self) -> Option<PathBuf> {
        (!self.dir.trim().is_empty()).then(|| PathBuf::from(&self.dir))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwitterSettings {
    /// App-only bearer token; empty = the Twitter source is off.
    pub bearer_token: Secret<String>,
    pub base_url: String,
    pub max_rules: usize,
    pub max_rule_chars: usize,
    pub rule_request_interval_ms: u64,
    pub rules_debounce_ms: u64,
    pub stall_timeout_ms: u64,
    pub connect_timeout_secs: u64,
}

impl TwitterSettings {
    pub fn enabled(&self) -> bool {
        !self.bearer_token.expose().trim().is_empty()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MastodonSettings {
    /// `wss://<streaming host>/api/v1/streaming`; empty = the Mastodon source is off.
    pub streaming_url: String,
    /// User token with `read:statuses`.
    pub access_token: Secret<String>,
    pub silence_timeout_secs: u64,
    pub ping_interval_secs: u64,
}

impl MastodonSettings {
    pub fn enabled(&self) -> bool {
        !self.streaming_url.trim().is_empty() && !self.access_token.expose().trim().is_empty()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlueskySettings {
    /// Jetstream `subscribe` URLs, tried in order (failover); empty = the Bluesky source is off.
    pub endpoints: Vec<String>,
    /// A reconnect replays from this many seconds before the last frame handled.
    pub rewind_secs: u64,
    pub silence_timeout_secs: u64,
    pub ping_interval_secs: u64,
    /// How often the cursor is written to `state.dir`.
    pub cursor_save_ms: u64,
    /// DID → handle entries remembered from identity frames.
    pub handle_cache: usize,
    /// AT URIs of delivered posts remembered (replays dropped, deletes retracted).
    pub delivered_memory: usize,
}

impl BlueskySettings {
    /// The endpoints that are set (blank entries, e.g. from an empty environment list, ignored).
    pub fn endpoints(&self) -> Vec<String> {
        self.endpoints
            .iter()
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty())
            .collect()
    }

    pub fn enabled(&self) -> bool {
        !self.endpoints().is_empty()
    }
}

/// Milliseconds → `Duration`, at least 1 ms (a zero would make loops spin).
pub fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms.max(1))
}

/// Seconds → `Duration`, at least 1 s.
pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(file: Option<&std::path::Path>) -> ConfigSources<'_> {
        ConfigSources {
            system_file: None,
            environment: false,
            ..ConfigSources::standard("ingest", DEFAULTS, file)
        }
    }

    #[test]
    fn defaults_load_with_both_sources_off() {
        let s: Settings = load_config(&sources(None)).unwrap();
        assert_eq!(s.http.bind, "127.0.0.1:8082");
        assert!(!s.twitter.enabled() && !s.mastodon.enabled() && !s.bluesky.enabled());
        assert_eq!(s.bluesky.rewind_secs, 5);
        assert_eq!(s.twitter.stall_timeout_ms, 20_000);
        assert_eq!(s.twitter.max_rule_chars, 512);
    }

    #[test]
    fn credentials_override_settings_and_empty_ones_are_ignored() {
        let dir = std::env::temp_dir().join(format!("tm-ingest-cred-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("twitter-bearer-token"), "secret-token\n").unwrap();
        std::fs::write(dir.join("mastodon-access-token"), "\n").unwrap();
        let src = ConfigSources {
            credentials_dir: Some(dir.clone()),
            ..sources(None)
        }
        .with_credentials(CREDENTIALS)
        .with_optional_credentials(OPTIONAL_CREDENTIALS);
        let s: Settings = load_config(&src).unwrap();
        assert_eq!(s.twitter.bearer_token.expose(), "secret-token");
        assert!(s.twitter.enabled() && !s.mastodon.enabled());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let dir = std::env::temp_dir().join(format!("tm-ingest-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "[twitter]\nbearer_tokn = \"x\"\n").unwrap();
        let err = load_config::<Settings>(&sources(Some(&bad))).unwrap_err();
        assert!(err.to_string().contains("bearer_tokn"), "{err}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
