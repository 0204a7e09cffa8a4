use std::path::PathBuf;

use clap::{Parser, Subcommand};
use tm_ingest::{Application, Settings};
use tm_runtime::{init_tracing, systemd, Shutdown};

/// tm-ingest: turns Twitter and Mastodon hashtag matches into `ingest.item` commands for tm-cms.
///
/// Settings: embedded defaults, then /etc/tm/ingest.toml, then --config, then environment
/// variables TM_INGEST__SECTION__KEY (e.g. TM_INGEST__TWITTER__BASE_URL), then systemd
/// credentials. Every key: docs/configuration-ingest.md.
#[derive(Parser)]
#[command(version, about, long_about)]
struct Cli {
    /// A TOML file with settings (overrides /etc/tm/ingest.toml).
    #[arg(long, short, global = true, value_name = "FILE", env = "TM_INGEST_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Follow the watched hashtags and publish matches until SIGTERM (the default).
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
    let Ok(settings) = Settings::load(cli.config.as_deref()).inspect_err(|e| eprintln!("tm-ingest: {e}")) else {
        std::process::exit(78); // EX_CONFIG: systemd does not retry a bad configuration
    };
    init_tracing(settings.log.format, &settings.log.filter);
    match cli.command.unwrap_or(Command::Serve) {
        Command::CheckConfig { print } => {
            use std::io::Write;
            if print {
                writeln!(std::io::stdout(), "{settings:#?}")?;
            }
            writeln!(std::io::stdout(), "tm-ingest: configuration is valid")?;
        }
        Command::Serve => {
            let shutdown = Shutdown::on_signals()?;
            let app = Application::build(settings).await?;
            systemd::notify_ready();
            systemd::spawn_watchdog(shutdown.clone());
            app.run_until_stopped(shutdown).await?;
        }
    }
    Ok(())
}
