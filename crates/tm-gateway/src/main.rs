use clap::Parser;

/// tm-gateway (not yet implemented: see the project's open issues).
#[derive(Parser)]
#[command(version, about)]
struct Cli {}

fn main() -> anyhow::Result<()> {
    let _cli = Cli::parse();
    tracing::info!(service = tm_gateway::SERVICE, "nothing to run yet");
    Ok(())
}
