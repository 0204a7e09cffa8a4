//! S4 — many small rooms: `rooms` × `per_room` subscribers (default 100 × 10; the full run uses
//! 1,000 × 10). Messages go round-robin over the rooms at `rate` msg/s in total. The first
//! `probe_rooms` rooms each hold one probe joined first and one joined last.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use super::{publish_for, put_cpu, put_fleet, put_gen_cpu, put_latency, put_loop, secs, Common, Ctx};
use crate::conn::{ProbeGroup, Role};

/// S4 flags.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,
    /// Rooms.
    #[arg(long, default_value_t = 100)]
    pub rooms: usize,
    /// Subscribers per room (probes included).
    #[arg(long, default_value_t = 10)]
    pub per_room: usize,
    /// Total publish rate over all rooms, msg/s.
    #[arg(long, default_value_t = 200.0)]
    pub rate: f64,
    /// Measured seconds.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds published before measuring.
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Rooms holding probes (two each).
    #[arg(long, default_value_t = 16)]
    pub probe_rooms: usize,
    /// Message body size, bytes.
    #[arg(long, default_value_t = 256)]
    pub size: usize,
    /// Seconds to wait for stragglers.
    #[arg(long, default_value_t = 5.0)]
    pub drain: f64,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.per_room >= 2,
        "--per-room must be at least 2 (two probes per probe room)"
    );
    let ctx = Ctx::new(args.common.clone())?;
    let rooms: Vec<String> = (0..args.rooms).map(|i| format!("room{i}")).collect();
    let probe_rooms = args.probe_rooms.min(args.rooms);
    let (first, last) = (ProbeGroup::new()?, ProbeGroup::new()?);
    let probes = |g: &Arc<ProbeGroup>| {
        rooms[..probe_rooms]
            .iter()
            .map(|r| (r.clone(), Role::Probe(g.clone())))
            .collect()
    };
    // A probe joined first and one joined last in each probe room, sinks in between.
    let sinks = rooms.iter().enumerate().flat_map(|(i, r)| {
        let probes_here = if i < probe_rooms { 2 } else { 0 };
        vec![(r.clone(), Role::Sink); args.per_room - probes_here]
    });
    let mut fleet = ctx.fleet();
    let failed = fleet
        .open_batches([probes(&first), sinks.collect(), probes(&last)])
        .await?;
    let mut publisher = ctx.publisher().await?;
    publisher.prepare(&rooms).await?;
    tokio::time::sleep(secs(1.0)).await;
    let measure_from = crate::wall_ns() + secs(args.warmup).as_nanos() as u64;
    first.measure_from(measure_from);
    last.measure_from(measure_from);
    let f0 = fleet.frames();
    let cpu0 = ctx.sample();
    let me0 = ctx.me.sample().ok();
    let t0 = std::time::Instant::now();
    let (st, _) = publish_for(
        &mut publisher,
        &rooms,
        args.rate,
        args.warmup + args.duration,
        args.size,
    )
    .await;
    let expected = st.sent * args.per_room as u64;
    let got = fleet.wait_frames(f0 + expected, secs(args.drain)).await - f0;
    let wall = t0.elapsed();
    let mut m = BTreeMap::new();
    put_loop(&mut m, &st);
    m.insert("subscribers".into(), fleet.len() as f64);
    m.insert("conns_failed".into(), failed as f64);
    m.insert("deliveries".into(), got as f64);
    m.insert("expected_deliveries".into(), expected as f64);
    m.insert("delivered_ratio".into(), super::delivered_ratio(got, expected));
    m.insert("deliveries_per_s".into(), got as f64 / wall.as_secs_f64().max(1e-9));
    put_cpu(&mut m, cpu0, ctx.sample(), wall, got);
    put_gen_cpu(&mut m, me0, &ctx.me, wall);
    put_latency(&mut m, &first, &last)?;
    put_fleet(&mut m, &fleet);
    let case = format!("rooms={},per_room={},rate={}", args.rooms, args.per_room, args.rate);
    ctx.emit("s4", &case, m, json!({}))?;
    publisher.close().await;
    fleet.close_all(secs(10.0)).await;
    Ok(())
}
