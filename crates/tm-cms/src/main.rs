use std::io::{Read, Write};

use clap::Parser;
use tm_cms::cli::{AdminCommand, Cli, Command};
use tm_cms::config::Settings;
use tm_cms::startup::Application;
use tm_runtime::systemd;

/// glibc's malloc and free were 28 % of tm-cms's instructions per post (callgrind,
/// docs/benchmarks.md); mimalloc's thread-local free lists cost a fraction of that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let Ok(mut settings) = Settings::load(cli.config.as_deref()).inspect_err(|e| eprintln!("tm-cms: {e}")) else {
        std::process::exit(78); // EX_CONFIG: systemd does not retry a bad configuration
    };
    let command = cli.command.unwrap_or(Command::Serve { no_migrate: false });
    if matches!(command, Command::CheckConfig { .. } | Command::Serve { .. }) {
        if let Err(e) = settings.validate() {
            eprintln!("tm-cms: {e}");
            std::process::exit(78);
        }
    }
    tm_runtime::init_tracing(settings.log.format, &settings.log.filter);
    match command {
        Command::CheckConfig { print } => {
            if print {
                writeln!(std::io::stdout(), "{settings:#?}")?;
            }
            writeln!(std::io::stdout(), "tm-cms: configuration is valid")?;
        }
        Command::Migrate => {
            let applied = tm_cms::engine::db::migrate(settings.database.url.expose()).await?;
            tracing::info!(?applied, "migrations applied");
        }
        Command::Admin(AdminCommand::Create { user }) => {
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let url = settings.database.url.expose();
            tm_cms::engine::db::migrate(url).await?;
            let pool = tm_cms::engine::db::pool(url, 1, std::time::Duration::from_secs(10))?;
            tm_cms::engine::admins::create_or_reset(&pool, &user, password.trim_end_matches(['\n', '\r'])).await?;
            writeln!(std::io::stdout(), "tm-cms: admin {user} is ready")?;
        }
        Command::Admin(AdminCommand::Delete { user }) => {
            let url = settings.database.url.expose();
            tm_cms::engine::db::migrate(url).await?;
            let pool = tm_cms::engine::db::pool(url, 1, std::time::Duration::from_secs(10))?;
            tm_cms::engine::admins::delete(&pool, &user).await?;
            writeln!(std::io::stdout(), "tm-cms: admin {user} is deleted")?;
        }
        Command::Serve { no_migrate } => {
            settings.database.migrate_on_start &= !no_migrate;
            let shutdown = tm_runtime::Shutdown::on_signals()?;
            let app = Application::build(settings).await?;
            systemd::notify_ready();
            systemd::spawn_watchdog(shutdown.clone());
            app.run_until_stopped(shutdown).await?;
        }
    }
    Ok(())
}
