//! S5 — connect storm and churn. Opens `conns` subscribers as fast as `storm_concurrency`
//! handshakes in flight allow (connections/s, handshake latency), then churns: `cycles` times,
//! closes `churn_fraction` of them and opens as many again. Leak check: RSS at the same
//! connection count before and after churn, the server's own connection count after churn and
//! after closing everything (a peer's `/stats`).

use std::collections::BTreeMap;

use serde_json::json;

use super::{secs, Common, Ctx};
use crate::conn::Role;

/// S5 flags.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,
    /// Connections in the storm.
    #[arg(long, default_value_t = 1000)]
    pub conns: usize,
    /// Handshakes in flight during the storm.
    #[arg(long, default_value_t = 512)]
    pub storm_concurrency: usize,
    /// Churn cycles.
    #[arg(long, default_value_t = 5)]
    pub cycles: usize,
    /// Fraction closed and reopened per cycle.
    #[arg(long, default_value_t = 0.5)]
    pub churn_fraction: f64,
    /// Seconds to settle before each RSS reading.
    #[arg(long, default_value_t = 2.0)]
    pub settle: f64,
    /// Room name.
    #[arg(long, default_value = "churn")]
    pub room: String,
}

pub async fn run(mut args: Args) -> anyhow::Result<()> {
    args.common.fleet.connect_concurrency = args.storm_concurrency;
    let ctx = Ctx::new(args.common.clone())?;
    let mut fleet = ctx.fleet();
    let base = ctx.settled().await;
    let spec = |n: usize| (0..n).map(|_| (args.room.clone(), Role::Sink)).collect::<Vec<_>>();
    let t0 = std::time::Instant::now();
    let storm = fleet.open(spec(args.conns)).await?;
    let storm_s = t0.elapsed().as_secs_f64();
    let mut m = BTreeMap::new();
    m.insert("conns_ok".into(), storm.ok as f64);
    m.insert("conns_failed".into(), storm.failed as f64);
    m.insert("conns_per_s".into(), storm.ok as f64 / storm_s.max(1e-9));
    storm.handshake.put("handshake_", &mut m);
    tokio::time::sleep(secs(args.settle)).await;
    let after_storm = ctx.settled().await;
    if let Some(c) = ctx.server_conns().await {
        m.insert("server_conns_after_storm".into(), c);
    }
    let k = ((args.conns as f64) * args.churn_fraction.clamp(0.0, 1.0)).round() as usize;
    let mut churn_failed = 0;
    let t1 = std::time::Instant::now();
    for _ in 0..args.cycles {
        fleet.close_last(k);
        tokio::time::sleep(secs(0.5)).await;
        churn_failed += fleet.open(spec(k)).await?.failed;
    }
    let churned = (k * args.cycles) as f64;
    m.insert("churned".into(), churned);
    m.insert("churn_failed".into(), churn_failed as f64);
    m.insert("churn_seconds".into(), t1.elapsed().as_secs_f64());
    tokio::time::sleep(secs(args.settle)).await;
    let after_churn = ctx.settled().await;
    if let Some(c) = ctx.server_conns().await {
        m.insert("server_conns_after_churn".into(), c);
        m.insert("server_conns_excess_after_churn".into(), c - fleet.len() as f64);
    }
    fleet.close_all(secs(10.0)).await;
    tokio::time::sleep(secs(args.settle)).await;
    let after_close = ctx.settled().await;
    if let Some(c) = ctx.server_conns().await {
        m.insert("server_conns_after_close".into(), c);
    }
    if let (Some(b), Some(s), Some(c), Some(z)) = (base, after_storm, after_churn, after_close) {
        m.insert("rss_base_bytes".into(), b.rss_bytes as f64);
        m.insert("rss_after_storm_bytes".into(), s.rss_bytes as f64);
        m.insert("rss_after_churn_bytes".into(), c.rss_bytes as f64);
        m.insert("rss_after_close_bytes".into(), z.rss_bytes as f64);
        if churned > 0.0 {
            m.insert(
                "rss_growth_per_churned_conn_bytes".into(),
                (c.rss_bytes as f64 - s.rss_bytes as f64) / churned,
            );
        }
    }
    let case = format!("conns={},cycles={}", args.conns, args.cycles);
    ctx.emit("s5", &case, m, json!({}))?;
    Ok(())
}
