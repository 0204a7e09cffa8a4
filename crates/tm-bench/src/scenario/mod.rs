//! Scenarios S1–S6. Each takes the [`Common`] flags (target URL, kind, label, pid for the sampler,
//! run id and repetition) plus its own sizes, with defaults small enough for CI, and prints one
//! JSON line per measured case.
//!
//! | id | what | module |
//! |---|---|---|
//! | S1 | idle memory slope: bytes per connection = ΔRSS/Δconns | [`s1`] |
//! | S2 | single-room fan-out latency (probes joined first and last) | [`s2`] |
//! | S3 | saturation ramp: achieved deliveries/s and the knee | [`s3`] |
//! | S4 | many small rooms | [`s4`] |
//! | S5 | connect storm, churn, no leak after churn | [`s5`] |
//! | S6 | 1 % slow consumers: memory bounded, others unaffected | [`s6`] |
//! | S7 | end to end through tm-cms: HTTP post → MariaDB → relay → RabbitMQ → gateway | [`s7`] |
//! | S8 | tm-cms alone: room page and post requests per second, closed loop | [`s8`] |
//!
//! [`amqp_baseline`] is not a scenario of the issue's list: it measures what RabbitMQ alone
//! sustains with publisher confirms, the yardstick for S7's posts per second.

pub mod amqp_baseline;
pub mod s1;
pub mod s2;
pub mod s3;
pub mod s4;
pub mod s5;
pub mod s6;
pub mod s7;
pub mod s8;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::Value;

use crate::conn::{Fleet, FleetOpts, ProbeGroup, Role};
use crate::output::RunOpts;
use crate::publisher::{make_body, AmqpOpts, PublishVia, Publisher};
use crate::sampler::{ProcSample, ProcSampler};
use crate::sched::{run_open_loop, LoopStats, Schedule};
use crate::target::{JoinError, Target, TargetKind};

/// Flags every scenario takes.
#[derive(Debug, Clone, clap::Args)]
pub struct Common {
    /// Subscriber URL of the server under test, e.g. ws://127.0.0.1:9002/ws (loopback only).
    #[arg(long)]
    pub url: String,
    /// Kind of server: decides how to subscribe and publish.
    #[arg(long, value_enum, default_value = "peer")]
    pub target_kind: TargetKind,
    /// Label in the results (uws, node-ws, tm-gateway); defaults to the kind.
    #[arg(long)]
    pub target_name: Option<String>,
    /// Server pid, for RSS and CPU from /proc (without it those metrics are left out).
    #[arg(long)]
    pub pid: Option<u32>,
    #[command(flatten)]
    pub run: RunOpts,
    /// How to publish to a peer: POST /pub (http) or a /pubws socket (ws, cheaper). Ignored for
    /// tm-gateway, which takes messages over AMQP only.
    #[arg(long, value_enum, default_value = "ws")]
    pub publish: PublishVia,
    /// tm-gateway: the secret it verifies join tokens with (its tokens.secret, ≥ 32 bytes).
    #[arg(long, env = "TM_BENCH_JOIN_SECRET", hide_env_values = true)]
    pub join_secret: Option<String>,
    /// tm-gateway: its broker and bus prefix.
    #[command(flatten)]
    pub amqp: AmqpOpts,
    #[command(flatten)]
    pub fleet: FleetOpts,
    /// Hard bound on the whole scenario, seconds.
    #[arg(long, default_value_t = 900.0)]
    pub max_seconds: f64,
}

/// What a running scenario shares: target, samplers, output labels.
#[derive(Debug)]
pub struct Ctx {
    pub common: Common,
    pub target: Target,
    /// Sampler of the server, when `--pid` was given.
    pub server: Option<ProcSampler>,
    /// Sampler of this generator (to tell when the generator, not the server, is the limit).
    pub me: ProcSampler,
    /// The publisher's name in the records (`info.publish`): that of the one [`Ctx::publisher`]
    /// builds, unless the scenario publishes some other way.
    pub publish_label: &'static str,
}

impl Ctx {
    /// Parses the target and checks the pid. The gateway kind needs `--join-secret`.
    pub fn new(common: Common) -> anyhow::Result<Self> {
        Self::build(common, true)
    }

    /// Like [`Ctx::new`], but a gateway target needs no secret: the scenario gives it join
    /// tokens itself ([`Target::with_join_tokens`], S7). A secret given anyway is still used.
    pub fn with_given_tokens(common: Common) -> anyhow::Result<Self> {
        Self::build(common, false)
    }

    fn build(common: Common, need_secret: bool) -> anyhow::Result<Self> {
        let name = common
            .target_name
            .clone()
            .unwrap_or_else(|| common.target_kind.as_str().to_string());
        let mut target = Target::parse(&common.url, common.target_kind, name)?;
        if target.kind == TargetKind::Gateway {
            match common.join_secret.as_deref() {
                Some(secret) => target = target.with_join_secret(secret.as_bytes())?,
                None if need_secret => return Err(JoinError::NoSecret.into()),
                None => {}
            }
        }
        let server = sampler_for(common.pid, "the server (--pid)")?;
        Ok(Self {
            publish_label: Publisher::name_for(target.kind, common.publish),
            common,
            target,
            server,
            me: ProcSampler::new(std::process::id()),
        })
    }

    /// A new fleet with the common connection settings.
    pub fn fleet(&self) -> Fleet {
        Fleet::new(self.target.clone(), self.common.fleet)
    }

    /// The server publisher.
    pub async fn publisher(&self) -> anyhow::Result<Publisher> {
        Publisher::for_target(&self.target, self.common.publish, &self.common.amqp).await
    }

    /// Server sample now (None without `--pid` or when /proc fails).
    pub fn sample(&self) -> Option<ProcSample> {
        self.server.as_ref().and_then(|s| s.sample().ok())
    }

    /// Server sample with the median RSS of 5 readings 200 ms apart.
    pub async fn settled(&self) -> Option<ProcSample> {
        let server = self.server.as_ref()?;
        server.settled(5, Duration::from_millis(200)).await.ok()
    }

    /// Subscriber count the server reports (`GET /stats` of a peer).
    pub async fn server_conns(&self) -> Option<f64> {
        if self.target.kind != TargetKind::Peer {
            return None;
        }
        crate::publisher::peer_stats(&self.target)
            .await
            .ok()
            .and_then(|v| v["conns"].as_f64())
    }

    /// Prints one result line; `info` (a JSON object) gets the publisher and the URL added.
    pub fn emit(&self, scenario: &str, case: &str, m: BTreeMap<String, f64>, mut info: Value) -> anyhow::Result<()> {
        if let Some(info) = info.as_object_mut() {
            info.insert("publish".into(), self.publish_label.into());
            info.insert("url".into(), self.common.url.clone().into());
        }
        let (target, kind) = (&self.target.name, self.target.kind.as_str());
        self.common.run.emit(target, kind, scenario, case, m, info)
    }
}

/// One room ready to measure: `subs` subscribers of which `probes` are probes, half joined
/// before the sinks and half after, and a publisher prepared for the room.
pub struct ProbedRoom {
    /// Every connection of the room.
    pub fleet: Fleet,
    /// Probes joined before the sinks.
    pub first: Arc<ProbeGroup>,
    /// Probes joined after the sinks.
    pub last: Arc<ProbeGroup>,
    /// The publisher, connected and prepared.
    pub publisher: Publisher,
    /// The room, as the publisher's room list.
    pub rooms: Vec<String>,
    /// Connections that failed to open.
    pub failed: u64,
}

impl Ctx {
    /// Opens [`ProbedRoom`] `room`.
    pub async fn probed_room(&self, room: &str, subs: usize, probes: usize) -> anyhow::Result<ProbedRoom> {
        let probes = probes.min(subs);
        let (first, last) = (ProbeGroup::new()?, ProbeGroup::new()?);
        let mut fleet = self.fleet();
        let (n_first, n_last) = (probes / 2, probes - probes / 2);
        let failed = open_probed_room(&mut fleet, room, subs - probes, &first, n_first, &last, n_last).await?;
        let mut publisher = self.publisher().await?;
        let rooms = vec![room.to_string()];
        publisher.prepare(&rooms).await?;
        Ok(ProbedRoom {
            fleet,
            first,
            last,
            publisher,
            rooms,
            failed,
        })
    }
}

/// Opens `n_first` probes, then `sinks` sinks, then `n_last` probes, all in `room`, in that order
/// (three batches, so the first probes really join before and the last after the sinks).
pub async fn open_probed_room(
    fleet: &mut Fleet,
    room: &str,
    sinks: usize,
    first: &Arc<ProbeGroup>,
    n_first: usize,
    last: &Arc<ProbeGroup>,
    n_last: usize,
) -> anyhow::Result<u64> {
    let batch = |n, role| vec![(room.to_string(), role); n];
    let first = batch(n_first, Role::Probe(first.clone()));
    let last = batch(n_last, Role::Probe(last.clone()));
    fleet.open_batches([first, batch(sinks, Role::Sink), last]).await
}

/// Publishes at `rate`/s for `secs` (message k to `rooms[k % len]`), open loop, bounded by
/// `secs * 3 + 10` seconds of wall time. Returns the loop stats and the schedule.
pub async fn publish_for(
    publisher: &mut Publisher,
    rooms: &[String],
    rate: f64,
    secs: f64,
    size: usize,
) -> (LoopStats, Schedule) {
    let sched = Schedule::starting_now(rate, secs);
    let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(secs * 3.0 + 10.0);
    let n = rooms.len().max(1);
    let st = run_open_loop(&sched, deadline, 5, async |k, t| {
        let body = make_body(t, size);
        let room = rooms.get(k as usize % n).map_or("r", String::as_str);
        publisher.publish(room, &body).await
    })
    .await;
    (st, sched)
}

/// Adds server CPU/RSS deltas between two samples to `m`.
pub fn put_cpu(
    m: &mut BTreeMap<String, f64>,
    before: Option<ProcSample>,
    after: Option<ProcSample>,
    wall: Duration,
    deliveries: u64,
) {
    if let (Some(a), Some(b)) = (before, after) {
        let cpu = b.cpu_us.saturating_sub(a.cpu_us) as f64;
        m.insert("server_cpu_us".into(), cpu);
        m.insert("server_cpu_util".into(), cpu / wall.as_secs_f64().max(1e-9) / 1e6);
        if deliveries > 0 {
            m.insert("cpu_us_per_delivery".into(), cpu / deliveries as f64);
        }
        m.insert("rss_bytes".into(), b.rss_bytes as f64);
    }
}

/// Adds this generator's CPU use over `wall` to `m` (near 1.0 = the generator was the limit).
pub fn put_gen_cpu(m: &mut BTreeMap<String, f64>, before: Option<ProcSample>, me: &ProcSampler, wall: Duration) {
    if let (Some(a), Ok(b)) = (before, me.sample()) {
        let cpu = b.cpu_us.saturating_sub(a.cpu_us) as f64;
        m.insert("gen_cpu_util".into(), cpu / wall.as_secs_f64().max(1e-9) / 1e6);
    }
}

/// Adds probe latency summaries to `m`: `first_`, `last_` and `all_`.
pub fn put_latency(m: &mut BTreeMap<String, f64>, first: &ProbeGroup, last: &ProbeGroup) -> anyhow::Result<()> {
    let f = first.snapshot()?;
    let l = last.snapshot()?;
    let mut all = f.clone();
    all.merge(&l);
    f.put("first_", m);
    l.put("last_", m);
    all.put("all_", m);
    let untimed = first.untimed.load(Ordering::Relaxed) + last.untimed.load(Ordering::Relaxed);
    m.insert("probe_untimed".into(), untimed as f64);
    Ok(())
}

/// Adds what the fleet received besides deliveries to `m`: other data messages (tm-gateway's
/// `joined`, `presence`…), gateway `reset`s and connections the server closed, all since the
/// fleet opened. Non-zero resets or closes mean the server dropped subscribers.
pub fn put_fleet(m: &mut BTreeMap<String, f64>, fleet: &Fleet) {
    let count = |counter: &AtomicU64| counter.load(Ordering::Relaxed) as f64;
    let c = &fleet.counters;
    m.insert("other_msgs".into(), count(&c.other));
    m.insert("resets".into(), count(&c.resets));
    m.insert("closed_by_server".into(), count(&c.closed_by_server));
}

/// Deliveries ÷ expected deliveries (0 when none were expected).
pub fn delivered_ratio(got: u64, expected: u64) -> f64 {
    if expected == 0 {
        0.0
    } else {
        got as f64 / expected as f64
    }
}

/// Adds publisher loop stats to `m`.
pub fn put_loop(m: &mut BTreeMap<String, f64>, st: &LoopStats) {
    m.insert("msgs_sent".into(), st.sent as f64);
    m.insert("msgs_failed".into(), st.failed as f64);
    m.insert("pub_max_lag_us".into(), st.max_lag_us as f64);
    m.insert("pub_late".into(), st.late as f64);
}

/// Adds another process's CPU use between two samples to `m` as `<prefix>cpu_us`,
/// `<prefix>cpu_util` and, per unit of work, `<prefix>cpu_us_per_<per_name>`.
pub fn put_proc_cpu(
    m: &mut BTreeMap<String, f64>,
    prefix: &str,
    before: Option<ProcSample>,
    after: Option<ProcSample>,
    wall: Duration,
    per_name: &str,
    per: u64,
) {
    if let (Some(a), Some(b)) = (before, after) {
        let cpu = b.cpu_us.saturating_sub(a.cpu_us) as f64;
        m.insert(format!("{prefix}cpu_us"), cpu);
        m.insert(format!("{prefix}cpu_util"), cpu / wall.as_secs_f64().max(1e-9) / 1e6);
        if per > 0 {
            m.insert(format!("{prefix}cpu_us_per_{per_name}"), cpu / per as f64);
        }
        m.insert(format!("{prefix}rss_bytes"), b.rss_bytes as f64);
    }
}

/// A sampler for `pid`, checked now (None without a pid).
pub fn sampler_for(pid: Option<u32>, what: &str) -> anyhow::Result<Option<ProcSampler>> {
    let Some(pid) = pid else {
        tracing::warn!("no pid for {what}: its metrics are left out");
        return Ok(None);
    };
    let sampler = ProcSampler::new(pid);
    sampler
        .sample()
        .with_context(|| format!("cannot read /proc/{pid} ({what})"))?;
    Ok(Some(sampler))
}

/// Seconds as a Duration (negative → 0).
pub fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.max(0.0))
}
