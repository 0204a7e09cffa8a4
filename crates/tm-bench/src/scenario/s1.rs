//! S1 — idle memory slope. Opens idle subscribers in steps (default 250, 500, 1000; the full run
//! uses 1k/5k/10k/19k), waits for the server to settle, reads its RSS (median of 5 readings), and
//! reports bytes per connection = ΔRSS/Δconns between the first and last step, plus a
//! least-squares fit over all steps.

use std::collections::BTreeMap;

use serde_json::json;

use super::{secs, Common, Ctx};
use crate::conn::Role;

/// S1 flags.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,
    /// Connection counts to measure at, ascending.
    #[arg(long, value_delimiter = ',', default_values_t = [250usize, 500, 1000])]
    pub steps: Vec<usize>,
    /// Seconds to wait after each step before sampling.
    #[arg(long, default_value_t = 2.0)]
    pub settle: f64,
    /// Room the idle subscribers join.
    #[arg(long, default_value = "idle")]
    pub room: String,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let ctx = Ctx::new(args.common.clone())?;
    let mut fleet = ctx.fleet();
    tokio::time::sleep(secs(args.settle)).await;
    let base = ctx.settled().await;
    let mut points: Vec<(f64, f64)> = Vec::new();
    let mut failed = 0u64;
    for &step in &args.steps {
        let need = step.saturating_sub(fleet.len());
        let t0 = std::time::Instant::now();
        let rep = fleet.open((0..need).map(|_| (args.room.clone(), Role::Sink))).await?;
        failed += rep.failed;
        let open_s = t0.elapsed().as_secs_f64();
        tokio::time::sleep(secs(args.settle)).await;
        let s = ctx.settled().await;
        let mut m = BTreeMap::new();
        m.insert("conns".into(), fleet.len() as f64);
        m.insert("conns_failed".into(), failed as f64);
        m.insert("open_seconds".into(), open_s);
        if let Some(c) = ctx.server_conns().await {
            m.insert("server_conns".into(), c);
        }
        if let (Some(s), Some(b)) = (s, base) {
            m.insert("rss_bytes".into(), s.rss_bytes as f64);
            m.insert("rss_base_bytes".into(), b.rss_bytes as f64);
            if !fleet.is_empty() {
                m.insert(
                    "bytes_per_conn_from_zero".into(),
                    (s.rss_bytes as f64 - b.rss_bytes as f64) / fleet.len() as f64,
                );
            }
            points.push((fleet.len() as f64, s.rss_bytes as f64));
        }
        ctx.emit("s1", &format!("conns={step}"), m, json!({}))?;
        if rep.failed > 0 && rep.ok == 0 {
            anyhow::bail!("no connection could be opened at step {step}");
        }
    }
    if let (Some(a), Some(b)) = (points.first(), points.last()) {
        let mut m = BTreeMap::new();
        if b.0 > a.0 {
            m.insert("bytes_per_conn".into(), (b.1 - a.1) / (b.0 - a.0));
        }
        m.insert("bytes_per_conn_fit".into(), crate::sampler::slope(&points));
        m.insert("max_conns".into(), b.0);
        let steps: Vec<String> = args.steps.iter().map(ToString::to_string).collect();
        ctx.emit("s1", "slope", m, json!({"steps": steps.join(",")}))?;
    }
    fleet.close_all(secs(10.0)).await;
    Ok(())
}
