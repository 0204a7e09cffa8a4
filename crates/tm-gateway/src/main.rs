use std::path::PathBuf;

use clap::{Parser, Subcommand};
use tm_gateway::{Application, Settings};
use tm_runtime::{init_tracing, systemd, Shutdown};

/// tm's WebSocket gateway: live room events out to browsers, posts in as commands, over RabbitMQ.
///
/// Settings: embedded defaults, then /etc/tm/gateway.toml, then --config, then environment
/// variables TM_GATEWAY__SECTION__KEY (e.g. TM_GATEWAY__HTTP__BIND=0.0.0.0:8081), then systemd
/// credentials (amqp-url, join-token-secret). Every key: docs/configuration-gateway.md.
#[derive(Parser)]
#[command(version, about, long_about)]
struct Cli {
    /// A TOML file with settings (overrides /etc/tm/gateway.toml).
    #[arg(long, short, global = true, value_name = "FILE", env = "TM_GATEWAY_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Clone, Copy)]
enum Command {
    /// Serve /ws, /healthz, /readyz and /metrics until SIGTERM, then drain (the default).
    Serve,
    /// Validate the configuration (defaults, files, environment, credentials) and exit.
    CheckConfig {
        /// Also print the settings in force, with secrets and passwords hidden.
        #[arg(long)]
        print: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let Ok(settings) = Settings::load(cli.config.as_deref()).inspect_err(|e| eprintln!("tm-gateway: {e}")) else {
        std::process::exit(78); // EX_CONFIG: systemd does not retry a bad configuration
    };
    init_tracing(settings.log.format, &settings.log.filter);
    if let Some(Command::CheckConfig { print }) = cli.command {
        use std::io::Write;
        if print {
            writeln!(std::io::stdout(), "{settings:#?}")?;
        }
        writeln!(std::io::stdout(), "tm-gateway: configuration is valid")?;
        return Ok(());
    }
    let shutdown = Shutdown::on_signals()?;
    let app = Application::build(settings).await?;
    systemd::notify_ready();
    systemd::spawn_watchdog(shutdown.clone());
    app.run_until_stopped(shutdown).await?;
    Ok(())
}
