//! S6 — slow consumers. One room of `subs` subscribers (probes first and last); phase A publishes
//! with every subscriber reading; then `slow_pct` % more subscribers join that never read (small
//! receive buffer) and phase B publishes the same load. Reports, per phase, probe latency and
//! deliveries to the healthy subscribers; for B also the server's RSS trace (start, peak, end,
//! slope over the second half: bounded memory means a slope near 0) and how many of the healthy
//! connections the server closed.
//!
//! The kernel absorbs up to `net.ipv4.tcp_wmem` max (4 MiB here) per slow socket before the
//! server's own memory has to hold anything, so the defaults push `bytes_per_slow_conn` (rate ×
//! size × duration) past that: 20 msg/s × 16 kB × 30 s = 9.6 MB (16 kB stays under uws.js's 16 KiB `maxPayloadLength` for `/pubws`).

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use serde_json::json;

use super::{publish_for, put_cpu, put_fleet, put_latency, put_loop, secs, Common, Ctx, ProbedRoom};
use crate::conn::Role;
use crate::sampler::Watch;

/// S6 flags.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,
    /// Healthy subscribers (probes included).
    #[arg(long, default_value_t = 200)]
    pub subs: usize,
    /// Slow consumers, as a percentage of `subs`.
    #[arg(long, default_value_t = 1.0)]
    pub slow_pct: f64,
    /// Publish rate, msg/s.
    #[arg(long, default_value_t = 20.0)]
    pub rate: f64,
    /// Message body size, bytes.
    #[arg(long, default_value_t = 16_000)]
    pub size: usize,
    /// Seconds per phase.
    #[arg(long, default_value_t = 30.0)]
    pub duration: f64,
    /// Probe connections.
    #[arg(long, default_value_t = 16)]
    pub probes: usize,
    /// Room name.
    #[arg(long, default_value = "slow")]
    pub room: String,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let ctx = Ctx::new(args.common.clone())?;
    let ProbedRoom {
        mut fleet,
        first,
        last,
        mut publisher,
        rooms,
        ..
    } = ctx.probed_room(&args.room, args.subs, args.probes).await?;
    let healthy = fleet.len() as u64;
    tokio::time::sleep(secs(1.0)).await;
    let n_slow = ((args.subs as f64) * args.slow_pct / 100.0).round() as usize;
    for phase in ["no_slow", "slow"] {
        if phase == "slow" {
            fleet
                .open((0..n_slow).map(|_| (args.room.clone(), Role::Stalled)))
                .await?;
            tokio::time::sleep(secs(0.5)).await;
        }
        let closed0 = fleet.counters.closed_by_server.load(Ordering::Relaxed);
        first.measure_from(crate::wall_ns());
        last.measure_from(crate::wall_ns());
        let watch = ctx.server.clone().map(|s| Watch::start(s, secs(0.25), 100_000));
        let f0 = fleet.frames();
        let cpu0 = ctx.sample();
        let t0 = std::time::Instant::now();
        let (st, _) = publish_for(&mut publisher, &rooms, args.rate, args.duration, args.size).await;
        let expected = st.sent * healthy;
        let got = fleet.wait_frames(f0 + expected, secs(5.0)).await - f0;
        let wall = t0.elapsed();
        let mut m = BTreeMap::new();
        put_loop(&mut m, &st);
        m.insert("healthy_subscribers".into(), healthy as f64);
        m.insert(
            "slow_subscribers".into(),
            if phase == "slow" { n_slow as f64 } else { 0.0 },
        );
        m.insert("deliveries".into(), got as f64);
        m.insert("bytes_per_slow_conn".into(), (st.sent as usize * args.size) as f64);
        m.insert("delivered_ratio".into(), super::delivered_ratio(got, expected));
        m.insert(
            "healthy_closed_by_server".into(),
            (fleet.counters.closed_by_server.load(Ordering::Relaxed) - closed0) as f64,
        );
        put_cpu(&mut m, cpu0, ctx.sample(), wall, got);
        put_latency(&mut m, &first, &last)?;
        put_fleet(&mut m, &fleet);
        if let Some(w) = watch {
            let trace = w.finish().await;
            let peak = trace.iter().map(|p| p.1).max();
            if let (Some(a), Some(b), Some(peak)) = (trace.first(), trace.last(), peak) {
                m.insert("rss_start_bytes".into(), a.1 as f64);
                m.insert("rss_end_bytes".into(), b.1 as f64);
                m.insert("rss_peak_bytes".into(), peak as f64);
                let half: Vec<(f64, f64)> = trace[trace.len() / 2..].iter().map(|p| (p.0, p.1 as f64)).collect();
                m.insert("rss_slope_bytes_per_s".into(), crate::sampler::slope(&half));
            }
        }
        if let Some(c) = ctx.server_conns().await {
            m.insert("server_conns".into(), c);
        }
        let case = format!("subs={},slow_pct={},phase={phase}", args.subs, args.slow_pct);
        ctx.emit("s6", &case, m, json!({}))?;
    }
    publisher.close().await;
    fleet.close_all(secs(10.0)).await;
    Ok(())
}
