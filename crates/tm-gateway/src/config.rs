//! The gateway's typed configuration: `config/default.toml` (embedded) overlaid by tm-runtime's
//! layers (`/etc/tm/gateway.toml`, `--config`, `TM_GATEWAY__SECTION__KEY`). Unknown keys are
//! errors; the join-token secret never prints.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use tm_bus::BusConfig;
use tm_core::keys::{check_secret, SecretError, MIN_SECRET_LEN};
use tm_runtime::{load_config, ConfigError, ConfigSources, LogFormat, Secret};

/// The embedded defaults; every key is documented there.
pub const DEFAULTS: &str = include_str!("../config/default.toml");

/// The development secret shipped in `config/default.toml`: refused unless `dev_mode = true`,
/// and the gateway warns while it is used.
pub const DEV_SECRET: &str = tm_core::keys::DEVELOPMENT_SECRET;

/// systemd credentials (`LoadCredential=`, read from `$CREDENTIALS_DIRECTORY/<name>`) that
/// override settings, so secrets never sit in the unit, the environment or a readable file.
pub const CREDENTIALS: &[(&str, &str)] = &[("amqp-url", "bus.url"), ("join-token-secret", "tokens.secret")];

/// Settings given as comma-separated lists in the environment
/// (`TM_GATEWAY__HTTP__ALLOWED_ORIGINS=https://a.example,https://b.example`).
const LIST_KEYS: &[&str] = &["http.allowed_origins", "http.trusted_proxies"];

/// Why the settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("tokens.secret must be at least {MIN_SECRET_LEN} bytes (the same secret as tm-cms's)")]
    WeakSecret,
    #[error(
        "tokens.secret is the public development default: set the join-token-secret credential \
         (the same as tm-cms's), or dev_mode = true (TM_GATEWAY__DEV_MODE=true) for development"
    )]
    DevelopmentSecret,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Development mode (`make run`): the public development secret is accepted.
    pub dev_mode: bool,
    pub http: HttpSettings,
    pub ws: WsSettings,
    pub sse: SseSettings,
    pub rooms: RoomSettings,
    pub presence: PresenceSettings,
    pub tokens: TokenSettings,
    pub bus: BusConfig,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    pub bind: String,
    pub allowed_origins: Vec<String>,
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    pub trusted_proxies: Vec<IpAddr>,
    pub drain_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WsSettings {
    pub max_message_bytes: usize,
    pub outbound_frames: usize,
    pub ping_secs: u64,
    pub idle_secs: u64,
    pub posts_in_flight: usize,
    pub posts_per_address_per_minute: u32,
    pub post_burst_per_address: u32,
}

/// `GET /sse`, the server-sent events fallback (the queue, quotas and drain are `ws`'s and
/// `http`'s: one policy for both transports).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SseSettings {
    pub heartbeat_secs: u64,
    pub retry_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomSettings {
    pub replay_events: usize,
    pub bind_wait_ms: u64,
    pub linger_secs: u64,
    pub rejection_retention_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresenceSettings {
    pub heartbeat_secs: u64,
    pub expire_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    pub secret: Secret<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub filter: String,
}

impl Settings {
    /// The production layering, with an optional `--config` file.
    /// Loads and checks the settings; an error here is a configuration error (exit 78).
    pub fn load(file: Option<&Path>) -> Result<Settings, SettingsError> {
        let sources = ConfigSources::standard("gateway", DEFAULTS, file)
            .with_list_keys(LIST_KEYS)
            .with_credentials(CREDENTIALS);
        let settings: Settings = load_config(&sources)?;
        settings.validate()?;
        Ok(settings)
    }

    /// What the types cannot say: the join-token secret must be long enough to be safe, and
    /// not the public development default outside development mode.
    pub fn validate(&self) -> Result<(), SettingsError> {
        match check_secret(self.tokens.secret.expose(), self.dev_mode) {
            Ok(()) => Ok(()),
            Err(SecretError::TooShort) => Err(SettingsError::WeakSecret),
            Err(SecretError::DevelopmentSecret) => Err(SettingsError::DevelopmentSecret),
        }
    }

    /// The embedded defaults only (tests start from these and adjust fields).
    pub fn defaults() -> Result<Settings, ConfigError> {
        load_config(&ConfigSources {
            system_file: None,
            environment: false,
            ..ConfigSources::standard("gateway", DEFAULTS, None)
        })
    }
}

impl WsSettings {
    pub fn ping_interval(&self) -> Duration {
        Duration::from_secs(self.ping_secs.max(1))
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_secs.max(1))
    }
}

impl SseSettings {
    pub fn heartbeat(&self) -> Duration {
        Duration::from_secs(self.heartbeat_secs.max(1))
    }
}

impl RoomSettings {
    pub fn bind_wait(&self) -> Duration {
        Duration::from_millis(self.bind_wait_ms)
    }

    pub fn linger(&self) -> Duration {
        Duration::from_secs(self.linger_secs)
    }

    pub fn rejection_retention(&self) -> Duration {
        Duration::from_secs(self.rejection_retention_secs)
    }
}

impl PresenceSettings {
    pub fn heartbeat(&self) -> Duration {
        Duration::from_secs(self.heartbeat_secs.max(1))
    }

    pub fn expiry(&self) -> Duration {
        Duration::from_secs(self.expire_secs.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_defaults_load_and_match_the_documented_ports() {
        let s = Settings::defaults().unwrap();
        assert_eq!(s.http.bind, "127.0.0.1:8081");
        assert_eq!(s.tokens.secret.expose(), DEV_SECRET);
        assert!(!format!("{s:?}").contains(DEV_SECRET), "the secret must never print");
    }

    #[test]
    fn a_short_join_token_secret_is_a_configuration_error() {
        let mut s = Settings::defaults().unwrap();
        s.tokens.secret = Secret::new("too short".to_owned());
        assert!(matches!(s.validate(), Err(SettingsError::WeakSecret)));
    }

    #[test]
    fn the_development_secret_is_refused_outside_development_mode() {
        let mut s = Settings::defaults().unwrap();
        assert!(!s.dev_mode, "development mode is off by default");
        assert!(matches!(s.validate(), Err(SettingsError::DevelopmentSecret)));
        s.dev_mode = true;
        assert!(s.validate().is_ok());
    }

    #[test]
    fn the_environment_overrides_defaults_and_takes_origin_lists() {
        // Only this test sets TM_GATEWAY__ variables; the others read the defaults alone.
        std::env::set_var(
            "TM_GATEWAY__HTTP__ALLOWED_ORIGINS",
            "https://a.example,https://b.example",
        );
        std::env::set_var("TM_GATEWAY__WS__OUTBOUND_FRAMES", "64");
        // The defaults' development secret passes `load`'s check only in development mode.
        std::env::set_var("TM_GATEWAY__DEV_MODE", "true");
        let s = Settings::load(None).unwrap();
        assert!(s.dev_mode);
        assert_eq!(s.http.allowed_origins, ["https://a.example", "https://b.example"]);
        assert_eq!(s.ws.outbound_frames, 64);
        assert_eq!(s.http.bind, "127.0.0.1:8081", "untouched keys keep their defaults");
    }
}
