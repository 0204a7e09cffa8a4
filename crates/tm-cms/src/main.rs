use clap::Parser;
use tm_cms::cli::{Cli, Command};
use tm_cms::config::Settings;
use tm_cms::startup::Application;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut settings = Settings::load(cli.config.as_deref())?;
    tm_runtime::init_tracing(settings.log.format, &settings.log.filter);
    match cli.command.unwrap_or(Command::Serve { no_migrate: false }) {
        Command::Migrate => {
            let applied = tm_cms::db::migrate(settings.database.url.expose()).await?;
            tracing::info!(?applied, "migrations applied");
        }
        Command::Serve { no_migrate } => {
            settings.database.migrate_on_start &= !no_migrate;
            let shutdown = tm_runtime::Shutdown::on_signals()?;
            let app = Application::build(settings).await?;
            app.run_until_stopped(shutdown.token()).await?;
        }
    }
    Ok(())
}
