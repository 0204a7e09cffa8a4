use clap::Parser;

/// tm-cms (not yet implemented: see the project's open issues).
#[derive(Parser)]
#[command(version, about)]
struct Cli {}

fn main() -> anyhow::Result<()> {
    let _cli = Cli::parse();
    tracing::info!(service = tm_cms::SERVICE, "nothing to run yet");
    Ok(())
}
