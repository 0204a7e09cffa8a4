//! S3 — saturation ramp. One room of `subs` subscribers; the publish rate climbs through `rates`,
//! `step` seconds each. Per step: offered and achieved deliveries/s (frames counted by the sinks
//! during the step), probe latency, server CPU µs per delivery. The ramp stops once the server
//! falls below half the offered load or p99 passes `max_p99_ms`. The knee is the highest step
//! still delivering ≥ 90 % of the offered load with p99 ≤ `knee_p99_ms` (default 500 ms).
//!
//! The generator shares one core with nothing else but is itself finite: `gen_cpu_util` near 1.0
//! means the generator, not the server, was the limit at that step.

use std::collections::BTreeMap;

use serde_json::json;

use super::{publish_for, put_cpu, put_fleet, put_gen_cpu, put_latency, put_loop, secs, Common, Ctx, ProbedRoom};

/// S3 flags.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,
    /// Subscribers in the room.
    #[arg(long, default_value_t = 500)]
    pub subs: usize,
    /// Publish rates to step through, msg/s.
    #[arg(long, value_delimiter = ',', default_values_t = [20.0f64, 50.0, 100.0, 200.0, 400.0, 800.0, 1600.0, 3200.0])]
    pub rates: Vec<f64>,
    /// Seconds per step.
    #[arg(long, default_value_t = 3.0)]
    pub step: f64,
    /// Probe connections.
    #[arg(long, default_value_t = 8)]
    pub probes: usize,
    /// Message body size, bytes.
    #[arg(long, default_value_t = 256)]
    pub size: usize,
    /// Stop the ramp when p99 passes this, ms.
    #[arg(long, default_value_t = 1000.0)]
    pub max_p99_ms: f64,
    /// p99 bound for the knee, ms (generous: on a shared machine scheduling noise alone reaches
    /// tens of ms; the achieved fraction is the sharper signal).
    #[arg(long, default_value_t = 500.0)]
    pub knee_p99_ms: f64,
    /// Room name.
    #[arg(long, default_value = "ramp")]
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
    let subscribers = fleet.len() as u64;
    tokio::time::sleep(secs(1.0)).await;
    let (mut knee, mut best) = (0.0f64, 0.0f64);
    for &rate in &args.rates {
        first.measure_from(crate::wall_ns());
        last.measure_from(crate::wall_ns());
        let f0 = fleet.frames();
        let cpu0 = ctx.sample();
        let me0 = ctx.me.sample().ok();
        let t0 = std::time::Instant::now();
        let (st, sched) = publish_for(&mut publisher, &rooms, rate, args.step, args.size).await;
        // The step lasts `count / rate` even though the last message is due one period earlier.
        tokio::time::sleep_until(sched.end()).await;
        let in_step = fleet.frames() - f0;
        let step_wall = t0.elapsed();
        // Let the backlog drain (bounded) before the next step, and count it for CPU/delivery.
        let total = fleet.wait_quiet(secs(0.3), secs(15.0)).await - f0;
        let wall = t0.elapsed();
        let cpu1 = ctx.sample();
        let offered = rate * subscribers as f64;
        let achieved = in_step as f64 / step_wall.as_secs_f64().max(1e-9);
        let mut m = BTreeMap::new();
        put_loop(&mut m, &st);
        m.insert("subscribers".into(), subscribers as f64);
        m.insert("offered_deliveries_per_s".into(), offered);
        m.insert("deliveries_per_s".into(), achieved);
        m.insert("achieved_fraction".into(), achieved / offered.max(1e-9));
        m.insert("deliveries".into(), total as f64);
        put_cpu(&mut m, cpu0, cpu1, wall, total);
        put_gen_cpu(&mut m, me0, &ctx.me, wall);
        put_latency(&mut m, &first, &last)?;
        put_fleet(&mut m, &fleet);
        let p99_ms = m.get("all_p99_us").copied().unwrap_or(0.0) / 1000.0;
        best = best.max(achieved);
        if achieved >= 0.9 * offered && p99_ms <= args.knee_p99_ms {
            knee = knee.max(achieved);
        }
        ctx.emit("s3", &format!("subs={},rate={rate}", args.subs), m, json!({}))?;
        if achieved < 0.5 * offered || p99_ms > args.max_p99_ms {
            tracing::info!(rate, achieved, offered, p99_ms, "saturated; ramp stops");
            break;
        }
    }
    let mut m = BTreeMap::new();
    m.insert("knee_deliveries_per_s".into(), knee);
    m.insert("max_deliveries_per_s".into(), best);
    ctx.emit("s3", &format!("subs={},summary", args.subs), m, json!({}))?;
    publisher.close().await;
    fleet.close_all(secs(10.0)).await;
    Ok(())
}
