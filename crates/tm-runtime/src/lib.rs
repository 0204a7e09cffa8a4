//! tm-runtime: the edge of every tm binary.
//!
//! * [`config`]: typed settings from an embedded defaults file, then `/etc/tm/<service>.toml`,
//!   then an explicit `--config` file, then `TM_<SERVICE>__SECTION__KEY` environment variables.
//! * [`secret`]: a wrapper that keeps secrets out of logs and `Debug` output.
//! * [`telemetry`]: tracing in human or JSON form.
//! * [`shutdown`]: one cancellation token that SIGTERM and SIGINT trip; [`serving`]: a server
//!   that ends before it is a failure of the service.
//! * [`systemd`]: readiness and watchdog notifications (no-ops outside systemd).
//! * [`ops`]: `/healthz`, `/readyz` and `/metrics` (with `tm_build_info`), the same on every
//!   service.

pub mod config;
pub mod ops;
pub mod secret;
pub mod serving;
pub mod shutdown;
pub mod systemd;
pub mod telemetry;

pub use config::{load_config, ConfigError, ConfigSources};
pub use ops::{MetricsRegistry, Ops, Readiness};
pub use secret::Secret;
pub use serving::{join_stopped, serve_until_shutdown, ServerError};
pub use shutdown::Shutdown;
pub use telemetry::{init_tracing, LogFormat};
