//! The RabbitMQ baseline for S7's posts/s target: how many `message.created` events the broker
//! alone takes per second with publisher confirms, on this machine.
//!
//! It publishes what tm-cms's relay publishes (a `message.created` envelope with a
//! [`make_body`] body, onto `<prefix>tm.events` with routing key
//! `room.<id>.message.created`, round-robin over `rooms` room ids) through tm-bus's
//! [`tm_bus::Publisher`] (`publish_raw`, persistent, confirmed), as fast as it can for
//! `duration` seconds. As the gateway does, one exclusive queue bound to
//! `room.*.message.created` is consumed at the same time, so the broker routes and delivers
//! every message instead of dropping it unrouted.
//!
//! Each `--windows` value is a case: `window=1` is serial (one publish waits for its confirm
//! before the next, as tm-cms's relay and tm-bench's [`crate::publisher::AmqpPublisher`] do);
//! `window=64` keeps 64 confirms in flight (64 concurrent `publish_raw` calls on clones of one
//! publisher, which share one channel).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tm_bus::{BusConfig, Exchange, QueueKind, SubscribeSpec, SubscriptionEvent};

use super::{emit_plain, secs};
use crate::hist::LatencyHist;
use crate::publisher::{connect_bus, make_body, message_created};
use crate::sampler::ProcSampler;

/// Baseline flags.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The broker.
    #[arg(
        long,
        env = "TM_BENCH_AMQP_URL",
        default_value = "amqp://guest:guest@127.0.0.1:5672/%2f"
    )]
    pub amqp_url: String,
    /// Prefix of the exchanges and queues used (the empty, production prefix is refused).
    #[arg(long, env = "TM_BENCH_BUS_PREFIX")]
    pub bus_prefix: String,
    /// Confirms in flight at once, one case each (1 = serial).
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 64])]
    pub windows: Vec<usize>,
    /// Seconds per case.
    #[arg(long, default_value_t = 5.0)]
    pub duration: f64,
    /// Message body size, bytes (the envelope around it adds about 300).
    #[arg(long, default_value_t = 256)]
    pub size: usize,
    /// Room ids the routing keys go round-robin over.
    #[arg(long, default_value_t = 100)]
    pub rooms: u64,
    /// Delete the topology under the prefix at the end (as `cleanup-bus` does).
    #[arg(long)]
    pub cleanup: bool,
    /// Label in the results.
    #[arg(long, default_value = "rabbitmq")]
    pub target_name: String,
    /// Run id shared by everything measured together.
    #[arg(long, default_value = "adhoc")]
    pub run_id: String,
    /// Repetition number.
    #[arg(long, default_value_t = 1)]
    pub rep: u32,
    /// Broker pid, for its CPU time from /proc (optional).
    #[arg(long)]
    pub pid: Option<u32>,
    /// Hard bound on the whole run, seconds.
    #[arg(long, default_value_t = 300.0)]
    pub max_seconds: f64,
}

/// The routing key tm-cms uses for a room's `message.created`.
#[must_use]
pub fn routing_key(room_id: u64) -> String {
    format!("room.{room_id}.message.created")
}

fn envelope_json(room_id: u64, body: &[u8]) -> anyhow::Result<Vec<u8>> {
    let body = String::from_utf8(body.to_vec())?;
    Ok(message_created(room_id, &format!("b-{room_id}"), 1, 1, body).to_json()?)
}

/// Runs the baseline.
pub async fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        !args.bus_prefix.is_empty(),
        "--bus-prefix must not be empty: the baseline never publishes onto tm's own exchanges"
    );
    anyhow::ensure!(args.rooms >= 1, "--rooms must be at least 1");
    let cfg = BusConfig {
        url: args.amqp_url.clone(),
        prefix: args.bus_prefix.clone(),
        ..BusConfig::default()
    };
    let bus = connect_bus(&cfg, "tm-bench-amqp-baseline").await?;
    let result = measure(&bus, &args).await;
    if args.cleanup {
        match tokio::time::timeout(Duration::from_secs(30), bus.delete_topology()).await {
            Ok(Ok(())) => tracing::info!(prefix = %args.bus_prefix, "deleted the bus topology"),
            Ok(Err(e)) => tracing::warn!(error = %e, "could not delete the bus topology"),
            Err(_) => tracing::warn!("deleting the bus topology timed out"),
        }
    }
    bus.close().await;
    result
}

async fn measure(bus: &tm_bus::Bus, args: &Args) -> anyhow::Result<()> {
    let bodies: Vec<(String, Vec<u8>)> = (1..=args.rooms)
        .map(|id| {
            Ok((
                routing_key(id),
                envelope_json(id, &make_body(crate::wall_ns(), args.size))?,
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    let bodies = Arc::new(bodies);
    let mut sub = bus
        .subscribe(SubscribeSpec {
            queue: QueueKind::Exclusive,
            single_active: false,
        })
        .await?;
    sub.bind("room.*.message.created").await?;
    let consumed = Arc::new(AtomicU64::new(0));
    let c = consumed.clone();
    let reader = tokio::spawn(async move {
        while let Some(ev) = sub.next().await {
            if let SubscriptionEvent::Message(_) = ev {
                c.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    let publisher = bus.publisher().await?;
    let broker = args.pid.map(ProcSampler::new);
    let me = ProcSampler::new(std::process::id());
    let next_id = Arc::new(AtomicU64::new(1));
    for &window in &args.windows {
        let window = window.max(1);
        let hist = Arc::new(Mutex::new(LatencyHist::new()?));
        let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let consumed0 = consumed.load(Ordering::Relaxed);
        let (b0, me0) = (broker.as_ref().and_then(|s| s.sample().ok()), me.sample().ok());
        let t0 = Instant::now();
        let end = t0 + secs(args.duration);
        let tasks: Vec<_> = (0..window)
            .map(|_| {
                let (p, bodies, hist, ok, failed, next_id) = (
                    publisher.clone(),
                    bodies.clone(),
                    hist.clone(),
                    ok.clone(),
                    failed.clone(),
                    next_id.clone(),
                );
                tokio::spawn(async move {
                    while Instant::now() < end {
                        let n = next_id.fetch_add(1, Ordering::Relaxed);
                        let (key, body) = &bodies[n as usize % bodies.len()];
                        let t = Instant::now();
                        match p.publish_raw(Exchange::Events, key, &format!("bench-{n}"), body).await {
                            Ok(()) => {
                                ok.fetch_add(1, Ordering::Relaxed);
                                if let Ok(mut h) = hist.lock() {
                                    h.record_ns(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
                                }
                            }
                            Err(e) => {
                                if failed.fetch_add(1, Ordering::Relaxed) == 0 {
                                    tracing::warn!(error = %e, "publish failed");
                                }
                            }
                        }
                    }
                })
            })
            .collect();
        let bound = secs(args.duration) + Duration::from_secs(40);
        if tokio::time::timeout(bound, futures_util::future::join_all(tasks))
            .await
            .is_err()
        {
            tracing::warn!("some publishes did not end in time");
        }
        let wall = t0.elapsed();
        let ok = ok.load(Ordering::Relaxed);
        // Let the consumer catch up (bounded), to report what was delivered.
        let until = tokio::time::Instant::now() + Duration::from_secs(5);
        while consumed.load(Ordering::Relaxed) - consumed0 < ok && tokio::time::Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut m = BTreeMap::new();
        m.insert("msgs_confirmed".into(), ok as f64);
        m.insert("msgs_failed".into(), failed.load(Ordering::Relaxed) as f64);
        m.insert("msgs_per_s".into(), ok as f64 / wall.as_secs_f64().max(1e-9));
        m.insert(
            "msgs_consumed".into(),
            consumed.load(Ordering::Relaxed).saturating_sub(consumed0) as f64,
        );
        if let Ok(h) = hist.lock() {
            h.summary().put("confirm_", &mut m);
        }
        if let (Some(s), Some(a)) = (&broker, b0) {
            super::put_proc_cpu(&mut m, "broker_", Some(a), s.sample().ok(), wall, "msg", ok);
        }
        super::put_gen_cpu(&mut m, me0, &me, wall);
        let mut info = BTreeMap::new();
        info.insert("size".into(), args.size.into());
        info.insert("envelope_bytes".into(), bodies[0].1.len().into());
        info.insert("duration".into(), args.duration.into());
        info.insert("prefix".into(), args.bus_prefix.clone().into());
        emit_plain(
            &args.run_id,
            args.rep,
            "amqp-baseline",
            &format!("window={window}"),
            &args.target_name,
            "broker",
            m,
            info,
        )?;
    }
    reader.abort();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_are_what_the_relay_publishes() {
        assert_eq!(routing_key(17), "room.17.message.created");
        let body = make_body(1_763_868_000_123_456_789, 256);
        let json = envelope_json(17, &body).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        // The timed body sits escaped inside the envelope, as the gateway will forward it.
        assert_eq!(crate::publisher::extract_t(&json), Some(1_763_868_000_123_456_789));
        assert!(json.len() > 256);
        assert!(v.is_object());
    }
}
