//! S2 — single-room fan-out latency. One room of `subs` subscribers (probes included: half join
//! before every sink, half after, so `first_*` is the head of the fan-out and `last_*` its tail);
//! the publisher sends at `rate` msg/s on an open-loop schedule, each body carrying its intended
//! send time; probes record now − intended. Also reports deliveries against expected and the
//! server's CPU µs per delivery.

use std::collections::BTreeMap;

use serde_json::json;

use super::{publish_for, put_cpu, put_fleet, put_gen_cpu, put_latency, put_loop, secs, Common, Ctx, ProbedRoom};

/// S2 flags.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,
    /// Subscriber counts (each a case; the full run uses 2000,10000).
    #[arg(long, value_delimiter = ',', default_values_t = [1000usize])]
    pub subs: Vec<usize>,
    /// Publish rates, msg/s (each a case).
    #[arg(long, value_delimiter = ',', default_values_t = [1.0f64, 20.0])]
    pub rates: Vec<f64>,
    /// Measured seconds per case.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds published before measuring (not recorded).
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Probe connections (half first, half last).
    #[arg(long, default_value_t = 32)]
    pub probes: usize,
    /// Message body size, bytes.
    #[arg(long, default_value_t = 256)]
    pub size: usize,
    /// Seconds to wait for stragglers after the last send.
    #[arg(long, default_value_t = 5.0)]
    pub drain: f64,
    /// Seconds to wait after connecting before publishing.
    #[arg(long, default_value_t = 1.0)]
    pub settle: f64,
    /// Room name.
    #[arg(long, default_value = "lat")]
    pub room: String,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    measure(args).await.map(drop)
}

/// Runs S2 and also returns each case's metrics, in the order the result lines were printed,
/// so a test can check what was measured.
pub async fn measure(args: Args) -> anyhow::Result<Vec<BTreeMap<String, f64>>> {
    let mut cases = Vec::new();
    let ctx = Ctx::new(args.common.clone())?;
    for &subs in &args.subs {
        let ProbedRoom {
            mut fleet,
            first,
            last,
            mut publisher,
            rooms,
            failed,
        } = ctx.probed_room(&args.room, subs, args.probes).await?;
        tokio::time::sleep(secs(args.settle)).await;
        let subscribers = fleet.len() as u64;
        for &rate in &args.rates {
            let warm_msgs = (rate * args.warmup).ceil();
            // Probes record only messages intended after the warm-up.
            let measure_from = crate::wall_ns() + secs(warm_msgs / rate.max(1e-6)).as_nanos() as u64;
            first.measure_from(measure_from);
            last.measure_from(measure_from);
            let f0 = fleet.frames();
            let cpu0 = ctx.sample();
            let me0 = ctx.me.sample().ok();
            let t0 = std::time::Instant::now();
            let (st, _sched) = publish_for(&mut publisher, &rooms, rate, args.warmup + args.duration, args.size).await;
            let expected = st.sent * subscribers;
            let got = fleet.wait_frames(f0 + expected, secs(args.drain)).await - f0;
            let wall = t0.elapsed();
            let cpu1 = ctx.sample();
            let mut m = BTreeMap::new();
            put_loop(&mut m, &st);
            m.insert("subscribers".into(), subscribers as f64);
            m.insert("conns_failed".into(), failed as f64);
            m.insert("deliveries".into(), got as f64);
            m.insert("expected_deliveries".into(), expected as f64);
            m.insert("delivered_ratio".into(), super::delivered_ratio(got, expected));
            put_cpu(&mut m, cpu0, cpu1, wall, got);
            put_gen_cpu(&mut m, me0, &ctx.me, wall);
            put_latency(&mut m, &first, &last)?;
            put_fleet(&mut m, &fleet);
            let info = json!({"size": args.size, "duration": args.duration, "publisher": ctx.publish_label});
            cases.push(m.clone());
            ctx.emit("s2", &format!("subs={subs},rate={rate}"), m, info)?;
        }
        publisher.close().await;
        fleet.close_all(secs(10.0)).await;
    }
    Ok(cases)
}
