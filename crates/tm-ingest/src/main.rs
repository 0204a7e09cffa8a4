use clap::Parser;

/// tm-ingest (not yet implemented: see the project's open issues).
#[derive(Parser)]
#[command(version, about)]
struct Cli {}

fn main() -> anyhow::Result<()> {
    let _cli = Cli::parse();
    tracing::info!(service = tm_ingest::SERVICE, "nothing to run yet");
    Ok(())
}
