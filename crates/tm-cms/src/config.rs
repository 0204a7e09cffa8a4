//! The CMS's settings: embedded defaults (`config/default.toml`), then `/etc/tm/cms.toml`, then
//! `--config`, then `TM_CMS__SECTION__KEY`. Unknown keys are an error.

use serde::Deserialize;
use tm_bus::BusConfig;
use tm_core::keys::{check_secret, SecretError, MIN_SECRET_LEN};
use tm_runtime::{ConfigError, LogFormat, Secret};

/// The built-in defaults, embedded in the binary.
pub const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Development mode (`make run`): the public development join secret is accepted.
    pub dev_mode: bool,
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub bus: BusConfig,
    pub join: JoinSettings,
    pub rooms: RoomSettings,
    pub passwords: PasswordSettings,
    pub posting: PostingSettings,
    pub relay: RelaySettings,
    pub qa: QaSettings,
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
    /// Peers whose `X-Real-IP` / `X-Forwarded-For` name the client (nginx); from anyone else
    /// those headers are ignored and the peer's own address counts.
    pub trusted_proxies: Vec<std::net::IpAddr>,
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
    /// Rooms one client address may create per `create_window_secs` (also the burst).
    pub creates_per_address: u32,
    pub create_window_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordSettings {
    /// Password hashes and checks (argon2id, 19 MiB and tens of ms of CPU each) running at
    /// once; more wait their turn.
    pub max_concurrent_hashes: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostingSettings {
    /// Sustained posts per minute per participant (and per client address over HTTP).
    pub per_minute: u32,
    pub burst: u32,
    /// HTTP posts that reach a worker together are stored in one transaction
    /// (`engine::post_writer`); off: each HTTP post in a transaction of its own. Queued posts
    /// that arrive together are batched either way.
    pub group_commit: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelaySettings {
    pub poll_interval_ms: u64,
    pub batch_size: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QaSettings {
    /// How often vote counts are announced: each message or poll gets at most one
    /// `message.updated` / `poll.updated` per interval.
    pub update_interval_ms: u64,
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

/// Secrets systemd may hand over as credential files (`LoadCredential=`). An empty file is an
/// error, except for the optional admin API token (the unit's `SetCredential=` fallback).
const CREDENTIALS: &[(&str, &str)] = &[
    ("database-url", "database.url"),
    ("amqp-url", "bus.url"),
    ("join-token-secret", "join.secret"),
    ("admin-api-token", "admin.api_token"),
];
const OPTIONAL_CREDENTIALS: &[&str] = &["admin-api-token"];
/// Settings given as comma-separated lists in the environment.
const LIST_KEYS: &[&str] = &["http.trusted_proxies"];

/// Why the settings cannot be used (the binary exits 78, EX_CONFIG).
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("join.secret must be at least {MIN_SECRET_LEN} bytes (the same secret as the gateways')")]
    WeakSecret,
    #[error(
        "join.secret is the public development default: set the join-token-secret credential, \
         or dev_mode = true (TM_CMS__DEV_MODE=true) for development"
    )]
    DevelopmentSecret,
}

impl Settings {
    /// Loads settings the production way. `serve` and `check-config` also [`validate`] them;
    /// `migrate` and `admin` do not need the join secret and do not.
    ///
    /// [`validate`]: Settings::validate
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, SettingsError> {
        Ok(tm_runtime::load_config(
            &tm_runtime::ConfigSources::standard("cms", DEFAULTS, file)
                .with_credentials(CREDENTIALS)
                .with_optional_credentials(OPTIONAL_CREDENTIALS)
                .with_list_keys(LIST_KEYS),
        )?)
    }

    /// What the types cannot say: the join secret is long enough, and not the public
    /// development default outside development mode.
    pub fn validate(&self) -> Result<(), SettingsError> {
        match check_secret(self.join.secret.expose(), self.dev_mode) {
            Ok(()) => Ok(()),
            Err(SecretError::TooShort) => Err(SettingsError::WeakSecret),
            Err(SecretError::DevelopmentSecret) => Err(SettingsError::DevelopmentSecret),
        }
    }
}
