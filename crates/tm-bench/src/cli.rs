//! The `tm-bench` command line: scenario subcommands (JSON lines on stdout, logs on stderr via
//! `RUST_LOG`) and `compare` (Markdown on stdout). See docs/benchmarks.md.

use std::future::Future;
use std::io::Read as _;
use std::pin::Pin;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::compare::{parse_lines, render, CompareOpts};
use crate::publisher::{connect_bus, delete_topology, AmqpOpts};
use crate::scenario;

#[derive(Debug, Parser)]
#[command(name = "tm-bench", version, about = "Load generator for WebSocket fan-out servers")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// S1: idle memory slope (bytes per connection).
    S1(scenario::s1::Args),
    /// S2: single-room fan-out latency.
    S2(scenario::s2::Args),
    /// S3: saturation ramp (achieved deliveries/s, knee).
    S3(scenario::s3::Args),
    /// S4: many small rooms.
    S4(scenario::s4::Args),
    /// S5: connect storm and churn.
    S5(scenario::s5::Args),
    /// S6: 1 % slow consumers.
    S6(scenario::s6::Args),
    /// S7: end to end, HTTP post to tm-cms → MariaDB → RabbitMQ → tm-gateway → subscribers.
    S7(scenario::s7::Args),
    /// S8: tm-cms room page and post requests per second (closed loop).
    S8(scenario::s8::Args),
    /// What RabbitMQ alone sustains with publisher confirms (the yardstick for S7's posts/s).
    AmqpBaseline(scenario::amqp_baseline::Args),
    /// Read JSON lines (files, or stdin) and print a Markdown comparison against a baseline.
    Compare(CompareArgs),
    /// Delete the broker topology (exchanges and quorum queues) of a tm-gateway run under
    /// `--bus-prefix`: tm-bus declares it on connect and nothing deletes it when the gateway stops.
    #[command(mut_arg("bus_prefix", |a| a.required(true).default_value(None::<&str>)))]
    CleanupBus(AmqpOpts),
}

async fn cleanup_bus(a: AmqpOpts) -> anyhow::Result<()> {
    anyhow::ensure!(
        !a.bus_prefix.is_empty(),
        "refusing to delete the unprefixed topology: that is the one tm itself uses"
    );
    let bus = connect_bus(&a.bus_config(), "tm-bench-cleanup").await?;
    let deleted = delete_topology(&bus).await;
    bus.close().await;
    deleted?;
    tracing::info!(prefix = %a.bus_prefix, "deleted the bus topology");
    Ok(())
}

#[derive(Debug, clap::Args)]
struct CompareArgs {
    /// JSON-lines files (stdin when none).
    files: Vec<std::path::PathBuf>,
    #[command(flatten)]
    opts: CompareOpts,
    /// Exit non-zero when something is flagged.
    #[arg(long)]
    enforce: bool,
}

fn compare(a: CompareArgs) -> anyhow::Result<bool> {
    let mut text = String::new();
    if a.files.is_empty() {
        std::io::stdin().read_to_string(&mut text)?;
    }
    for f in &a.files {
        text.push_str(&std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?);
        text.push('\n');
    }
    let (recs, bad) = parse_lines(&text);
    if bad > 0 {
        tracing::warn!(bad, "lines that are not tm-bench records were skipped");
    }
    let rep = render(&recs, &a.opts)?;
    print!("{}", rep.markdown);
    for f in &rep.flags {
        tracing::warn!("flagged: {f}");
    }
    for f in &rep.gate_failures {
        tracing::error!("gate failed: {f}");
    }
    Ok((rep.flags.is_empty() || !a.enforce) && rep.gate_failures.is_empty())
}

async fn run_scenario(cmd: Cmd) -> anyhow::Result<()> {
    type Run = Pin<Box<dyn Future<Output = anyhow::Result<()>>>>;
    let (max_seconds, fut): (f64, Run) = match cmd {
        Cmd::S1(a) => (a.common.max_seconds, Box::pin(scenario::s1::run(a))),
        Cmd::S2(a) => (a.common.max_seconds, Box::pin(scenario::s2::run(a))),
        Cmd::S3(a) => (a.common.max_seconds, Box::pin(scenario::s3::run(a))),
        Cmd::S4(a) => (a.common.max_seconds, Box::pin(scenario::s4::run(a))),
        Cmd::S5(a) => (a.common.max_seconds, Box::pin(scenario::s5::run(a))),
        Cmd::S6(a) => (a.common.max_seconds, Box::pin(scenario::s6::run(a))),
        Cmd::S7(a) => (a.common.max_seconds, Box::pin(scenario::s7::run(a))),
        Cmd::S8(a) => (a.max_seconds, Box::pin(scenario::s8::run(a))),
        Cmd::AmqpBaseline(a) => (a.max_seconds, Box::pin(scenario::amqp_baseline::run(a))),
        Cmd::Compare(_) | Cmd::CleanupBus(_) => anyhow::bail!("not a scenario"),
    };
    let limit = Duration::from_secs_f64(max_seconds.max(1.0));
    tokio::time::timeout(limit, fut)
        .await
        .map_err(|_| anyhow::anyhow!("scenario exceeded --max-seconds {}", limit.as_secs()))?
}

/// Raises the soft open-files limit to the hard one (each connection is one file; this machine
/// allows about 20k per process); returns `(soft, hard)` after the change.
fn raise_nofile() -> std::io::Result<(Option<u64>, Option<u64>)> {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let cur = getrlimit(Resource::Nofile);
    if cur.current != cur.maximum {
        let raised = Rlimit {
            current: cur.maximum,
            maximum: cur.maximum,
        };
        setrlimit(Resource::Nofile, raised)?;
    }
    let now = getrlimit(Resource::Nofile);
    Ok((now.current, now.maximum))
}

fn block_on(fut: impl Future<Output = anyhow::Result<()>>) -> anyhow::Result<u8> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;
    rt.block_on(fut).map(|()| 0)
}

/// Parses the command line, runs it, returns the exit code.
pub fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let result = match Cli::parse().cmd {
        Cmd::Compare(a) => compare(a).map(|ok| if ok { 0 } else { 2 }),
        Cmd::CleanupBus(a) => block_on(cleanup_bus(a)),
        cmd => {
            match raise_nofile() {
                Ok((soft, hard)) => tracing::info!(?soft, ?hard, "RLIMIT_NOFILE"),
                Err(e) => tracing::warn!(error = %e, "could not raise RLIMIT_NOFILE"),
            }
            block_on(run_scenario(cmd))
        }
    };
    match result {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            tracing::error!("{e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
