//! The CMS's settings: embedded defaults (`config/default.toml`), then `/etc/tm/cms.toml`, then
//! `--config`, then `TM_CMS__SECTION__KEY`. Unknown keys are an error.

use serde::Deserialize;
use tm_bus::BusConfig;
use tm_runtime::{LogFormat, Secret};

/// The built-in defaults, embedded in the binary.
pub const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub bus: BusConfig,
    pub join: JoinSettings,
    pub rooms: RoomSettings,
    pub posting: PostingSettings,
    pub relay: RelaySettings,
    pub admin: AdminSettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// Address to listen on; port 0 picks a free port (tests).
    pub bind: String,
    /// Base URL of this site, used to build room URLs.
    pub public_url: String,
    /// WebSocket URL of the gateway, handed out with join tokens.
    pub gateway_url: String,
    pub workers: usize,
    /// Largest JSON request body accepted.
    pub max_json_bytes: usize,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// Where `/source` (linked from every page's footer) sends visitors for this server's
    /// source code; empty shows the licence instead.
    pub source_url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: Secret<String>,
    pub pool_size: usize,
    /// How long to wait for a connection before answering 503.
    pub connect_timeout_ms: u64,
    /// `serve` applies pending migrations before it listens.
    pub migrate_on_start: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinSettings {
    pub secret: Secret<String>,
    pub ttl_secs: u64,
    /// Password attempts per client address and room per minute.
    pub attempts_per_minute: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomSettings {
    pub sweep_interval_secs: u64,
    /// Closed rooms are deleted with their messages and events this many days after closing.
    pub retention_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostingSettings {
    /// Sustained posts per minute per participant (and per client address over HTTP).
    pub per_minute: u32,
    pub burst: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelaySettings {
    pub poll_interval_ms: u64,
    pub batch_size: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminSettings {
    pub api_token: Secret<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub filter: String,
}

/// Secrets systemd may hand over as credential files (`LoadCredential=`).
const CREDENTIALS: &[(&str, &str)] = &[
    ("database-url", "database.url"),
    ("amqp-url", "bus.url"),
    ("join-token-secret", "join.secret"),
    ("admin-api-token", "admin.api_token"),
];

impl Settings {
    /// Loads settings the production way.
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, tm_runtime::ConfigError> {
        tm_runtime::load_config(
            &tm_runtime::ConfigSources::standard("cms", DEFAULTS, file).with_credentials(CREDENTIALS),
        )
    }
}
