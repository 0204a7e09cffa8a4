//! tm-runtime: the edge of every tm binary.
//!
//! * [`config`]: typed settings from an embedded defaults file, then `/etc/tm/<service>.toml`,
//!   then an explicit `--config` file, then `TM_<SERVICE>__SECTION__KEY` environment variables.
//! * [`secret`]: a wrapper that keeps secrets out of logs and `Debug` output.
//! * [`telemetry`]: tracing in human or JSON form.
//! * [`shutdown`]: one cancellation token that SIGTERM and SIGINT trip.
//! * [`systemd`]: readiness and watchdog notifications (no-ops outside systemd).
//! * [`build_info`]: the `tm_build_info` metric every service exports.

pub mod build_info;
pub mod config;
pub mod secret;
pub mod shutdown;
pub mod systemd;
pub mod telemetry;

pub use build_info::with_build_info;
pub use config::{load_config, ConfigError, ConfigSources};
pub use secret::Secret;
pub use shutdown::Shutdown;
pub use telemetry::{init_tracing, LogFormat};
