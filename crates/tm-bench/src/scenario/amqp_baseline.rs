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

use serde_json::json;
use tm_bus::{Exchange, QueueKind, SubscribeSpec, SubscriptionEvent};

use super::secs;
use crate::output::RunOpts;
use crate::pool::{Outcome, Tally};
use crate::publisher::{connect_bus, delete_topology, make_body, message_created, AmqpOpts};
use crate::sampler::ProcSampler;

/// Baseline flags.
#[derive(Debug, Clone, clap::Args)]
#[command(mut_arg("bus_prefix", |a| a.required(true).default_value(None::<&str>)))]
pub struct Args {
    /// The broker, and the prefix of the exchanges and queues used.
    #[command(flatten)]
    pub amqp: AmqpOpts,
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
    #[command(flatten)]
    pub run: RunOpts,
    /// Broker pid, for its CPU time from /proc (optional).
    #[arg(long)]
    pub pid: Option<u32>,
    /// Hard bound on the whole run, seconds.
    #[arg(long, default_value_t = 300.0)]
    pub max_seconds: f64,
}

/// The routing key and the JSON of a `message.created` envelope for room `room_id` carrying
/// `body`, as tm-cms's relay publishes it.
fn envelope(room_id: u64, body: &[u8]) -> anyhow::Result<(String, Vec<u8>)> {
    let body = String::from_utf8(body.to_vec())?;
    let envelope = message_created(room_id, &format!("b-{room_id}"), 1, 1, body);
    Ok((envelope.routing_key(), envelope.to_json()?))
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        !args.amqp.bus_prefix.is_empty(),
        "--bus-prefix must not be empty: the baseline never publishes onto tm's own exchanges"
    );
    anyhow::ensure!(args.rooms >= 1, "--rooms must be at least 1");
    let bus = connect_bus(&args.amqp.bus_config(), "tm-bench-amqp-baseline").await?;
    let result = measure(&bus, &args).await;
    if args.cleanup {
        match delete_topology(&bus).await {
            Ok(()) => tracing::info!(prefix = %args.amqp.bus_prefix, "deleted the bus topology"),
            Err(e) => tracing::warn!(error = %e, "could not delete the bus topology"),
        }
    }
    bus.close().await;
    result
}

/// One window's publishing loop: publishes the next of `bodies` (numbered by `next_id`) as soon
/// as the last one was confirmed, until `end`.
async fn publish_until(
    end: Instant,
    publisher: tm_bus::Publisher,
    bodies: Arc<Vec<(String, Vec<u8>)>>,
    next_id: Arc<AtomicU64>,
    tally: Arc<Mutex<Tally>>,
) {
    while Instant::now() < end {
        let n = next_id.fetch_add(1, Ordering::Relaxed);
        let (key, body) = &bodies[n as usize % bodies.len()];
        let t = Instant::now();
        let outcome = match publisher
            .publish_raw(Exchange::Events, key, &format!("bench-{n}"), body)
            .await
        {
            Ok(()) => Outcome::Status(200),
            Err(e) => Outcome::Failed(e.to_string()),
        };
        let took = u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX);
        if let Ok(mut t) = tally.lock() {
            t.record(0, &outcome, took, None);
        }
    }
}

async fn measure(bus: &tm_bus::Bus, args: &Args) -> anyhow::Result<()> {
    let bodies: Vec<(String, Vec<u8>)> = (1..=args.rooms)
        .map(|id| envelope(id, &make_body(crate::wall_ns(), args.size)))
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
        // Publishes count as answered (200) when confirmed.
        let tally = Arc::new(Mutex::new(Tally::new(0)?));
        let consumed0 = consumed.load(Ordering::Relaxed);
        let (b0, me0) = (broker.as_ref().and_then(|s| s.sample().ok()), me.sample().ok());
        let t0 = Instant::now();
        let end = t0 + secs(args.duration);
        let tasks = (0..window).map(|_| {
            let publishing = publish_until(end, publisher.clone(), bodies.clone(), next_id.clone(), tally.clone());
            tokio::spawn(publishing)
        });
        let bound = secs(args.duration) + Duration::from_secs(40);
        if tokio::time::timeout(bound, futures_util::future::join_all(tasks))
            .await
            .is_err()
        {
            tracing::warn!("some publishes did not end in time");
        }
        let wall = t0.elapsed();
        let tally = tally
            .lock()
            .map_err(|_| anyhow::anyhow!("tally lock poisoned"))?
            .clone();
        if let Some(e) = &tally.first_problem {
            tracing::warn!(failed = tally.failed, first = %e, "publishes failed");
        }
        // Let the consumer catch up (bounded), to report what was delivered.
        let caught_up = || consumed.load(Ordering::Relaxed) - consumed0 >= tally.ok;
        crate::poll_until(Duration::from_secs(5), Duration::from_millis(10), caught_up).await;
        let mut m = BTreeMap::new();
        m.insert("msgs_confirmed".into(), tally.ok as f64);
        m.insert("msgs_failed".into(), tally.failed as f64);
        m.insert("msgs_per_s".into(), tally.ok as f64 / wall.as_secs_f64().max(1e-9));
        let msgs_consumed = consumed.load(Ordering::Relaxed).saturating_sub(consumed0);
        m.insert("msgs_consumed".into(), msgs_consumed as f64);
        tally.answer.put("confirm_", &mut m);
        if let (Some(s), Some(a)) = (&broker, b0) {
            super::put_proc_cpu(&mut m, "broker_", Some(a), s.sample().ok(), wall, "msg", tally.ok);
        }
        super::put_gen_cpu(&mut m, me0, &me, wall);
        let info = json!({
            "size": args.size, "envelope_bytes": bodies[0].1.len(), "duration": args.duration,
            "prefix": args.amqp.bus_prefix,
        });
        let case = format!("window={window}");
        args.run
            .emit(&args.target_name, "broker", "amqp-baseline", &case, m, info)?;
    }
    reader.abort();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_are_what_the_relay_publishes() {
        let body = make_body(1_763_868_000_123_456_789, 256);
        let (key, json) = envelope(17, &body).unwrap();
        assert_eq!(key, "room.17.message.created");
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        // The timed body sits escaped inside the envelope, as the gateway will forward it.
        assert_eq!(crate::publisher::extract_t(&json), Some(1_763_868_000_123_456_789));
        assert!(json.len() > 256);
        assert!(v.is_object());
    }
}
