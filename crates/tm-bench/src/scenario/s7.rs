//! S7 — end to end through the real system: a post goes over HTTP to tm-cms, which stores it in
//! MariaDB, its relay publishes `message.created` to RabbitMQ with confirms, and tm-gateway fans
//! it out to the room's WebSocket subscribers.
//!
//! Setup, all through the CMS's public API as participants use it (docs/api.md): `rooms` rooms
//! (`POST /api/v1/rooms`, names `b7-<random>-<i>`, `max_length` 2000 so the timed body fits),
//! one participant join token per room (`POST /api/v1/rooms/{slug}/join`: the CMS's own tokens,
//! not self-signed ones), then per room one probe joined first, `per_room - 2` sinks and one
//! probe joined last on the gateway.
//!
//! Load: posts (`POST /api/v1/rooms/{slug}/messages`, nickname `bench`, body
//! [`make_body`]) round-robin over the rooms at `rate` posts/s in total on an open-loop schedule.
//! Each due post is handed to a [`PostPool`] of `http_conns` keep-alive connections without
//! waiting for earlier answers. Probes measure intended send time → delivery; the pool measures
//! the CMS's answer (`post_*_us`: written → answered; `post_sched_*_us`: intended → answered,
//! which includes waiting for a free connection).
//!
//! With `--post-via ws` the posts go over tm-gateway's WebSocket instead, as the room page
//! sends them: one joined poster socket per room ([`crate::ws_post`]); the gateway forwards each
//! as a command to tm-cms's post consumer, and `post_*_us` is then the time to the gateway's
//! `accepted` (the broker has the command), not to the stored message.
//!
//! With several `--rates`, one case per rate and then a `ramp` record whose
//! `sustained_posts_per_s` is the highest rate that kept p99 ≤ `--p99-limit-ms`, delivered
//! ≥ 99 % and had no failed post. The rooms are closed at the end.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::json;

use super::{
    open_probed_room, put_cpu, put_fleet, put_gen_cpu, put_latency, put_loop, put_proc_cpu, sampler_for, secs, Common,
    Ctx,
};
use crate::cms::{messages_path, post_body, room_names, setup_rooms, BenchRoom, Cms, MAX_LENGTH_LIMIT};
use crate::conn::ProbeGroup;
use crate::pool::{Job, PostPool, Tally};
use crate::publisher::make_body;
use crate::sched::{run_open_loop, Schedule};
use crate::target::{Endpoint, TargetKind};
use crate::ws_post::{WsJob, WsPosters};

/// S7 flags.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,
    /// tm-cms base URL, http://127.0.0.1:PORT (loopback only).
    #[arg(long)]
    pub cms_url: String,
    /// tm-cms pid, for its CPU time from /proc (`--pid` is the gateway's).
    #[arg(long)]
    pub cms_pid: Option<u32>,
    /// Rooms (the full size is 100).
    #[arg(long, default_value_t = 10)]
    pub rooms: usize,
    /// Subscribers per room, two probes included (the full size is 100).
    #[arg(long, default_value_t = 10)]
    pub per_room: usize,
    /// Posts per second over all rooms (the full size is 500); ignored when --rates is given.
    #[arg(long, default_value_t = 50.0)]
    pub rate: f64,
    /// Several rates, one case each, plus a `ramp` record with the highest rate sustained.
    #[arg(long, value_delimiter = ',')]
    pub rates: Vec<f64>,
    /// Measured seconds per case.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds posted before measuring (not recorded by the probes).
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Message body size, bytes (at most 2000: the largest room max_length).
    #[arg(long, default_value_t = 256)]
    pub size: usize,
    /// Keep-alive HTTP connections posting in parallel.
    #[arg(long, default_value_t = 16)]
    pub http_conns: usize,
    /// Seconds one HTTP request may take before it counts as failed.
    #[arg(long, default_value_t = 10.0)]
    pub http_timeout: f64,
    /// Seconds to wait for stragglers after the last post was answered.
    #[arg(long, default_value_t = 5.0)]
    pub drain: f64,
    /// Seconds to wait after the subscribers joined before posting (the gateway binds rooms).
    #[arg(long, default_value_t = 2.0)]
    pub settle: f64,
    /// The p99 end-to-end latency a rate must keep to count as sustained (ramp), ms.
    #[arg(long, default_value_t = 50.0)]
    pub p99_limit_ms: f64,
    /// How posts reach the system: tm-cms's HTTP API, or tm-gateway's WebSocket.
    #[arg(long, value_enum, default_value_t = PostVia::Http)]
    pub post_via: PostVia,
}

/// The way S7 posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PostVia {
    /// `POST /api/v1/rooms/{slug}/messages` over a pool of keep-alive connections.
    Http,
    /// `{"type":"post"}` frames on one joined WebSocket per room.
    Ws,
}

impl PostVia {
    fn as_str(self) -> &'static str {
        match self {
            PostVia::Http => "http",
            PostVia::Ws => "ws",
        }
    }
}

/// The posters of one S7 run, either way.
enum Posters {
    Http { pool: PostPool, paths: Vec<String> },
    Ws(WsPosters),
}

impl Posters {
    fn dispatch(&self, room: usize, intended_ns: u64, body: Vec<u8>) -> anyhow::Result<()> {
        match self {
            Posters::Http { pool, paths } => pool.dispatch(Job {
                room,
                intended_ns,
                method: hyper::Method::POST,
                path: paths[room].clone(),
                body: Some(post_body(&body)?),
            }),
            Posters::Ws(ws) => ws.dispatch(WsJob {
                room,
                intended_ns,
                body,
            }),
        }
    }

    async fn drain(&self, timeout: Duration) -> u64 {
        match self {
            Posters::Http { pool, .. } => pool.drain(timeout).await,
            Posters::Ws(ws) => ws.drain(timeout).await,
        }
    }

    fn take(&self) -> anyhow::Result<Tally> {
        match self {
            Posters::Http { pool, .. } => pool.take(),
            Posters::Ws(ws) => ws.take(),
        }
    }

    /// Posts refused after they were answered as accepted (WebSocket posts only).
    fn take_rejected_after_accept(&self) -> u64 {
        match self {
            Posters::Http { .. } => 0,
            Posters::Ws(ws) => ws.take_rejected_after_accept(),
        }
    }

    async fn close(self) {
        match self {
            Posters::Http { pool, .. } => pool.close(secs(5.0)).await,
            Posters::Ws(ws) => drop(ws),
        }
    }
}

/// The highest of the rates (each with the metrics measured at it) that kept `all_p99_us` ≤
/// `limit_us`, delivered at least 99 % and lost no post (0 when none did).
pub fn sustained(results: &[(f64, BTreeMap<String, f64>)], limit_us: f64) -> f64 {
    let held = |m: &BTreeMap<String, f64>| {
        // A figure that is missing (NaN) holds no bound.
        let v = |k: &str| m.get(k).copied().unwrap_or(f64::NAN);
        let p99_us = v("all_p99_us");
        p99_us > 0.0 && p99_us <= limit_us && v("delivered_ratio") >= 0.99 && v("posts_failed") == 0.0
    };
    results
        .iter()
        .filter(|(_, m)| held(m))
        .map(|(rate, _)| *rate)
        .fold(0.0, f64::max)
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.common.target_kind == TargetKind::Gateway,
        "s7 measures tm-gateway behind tm-cms: --target-kind gateway"
    );
    anyhow::ensure!(
        args.per_room >= 2,
        "--per-room must be at least 2 (two probes per room)"
    );
    anyhow::ensure!(args.rooms >= 1, "--rooms must be at least 1");
    anyhow::ensure!(
        args.size <= MAX_LENGTH_LIMIT,
        "--size {} is over the largest room max_length ({MAX_LENGTH_LIMIT})",
        args.size
    );
    let rates = if args.rates.is_empty() {
        vec![args.rate]
    } else {
        args.rates.clone()
    };
    anyhow::ensure!(rates.iter().all(|r| *r > 0.0), "rates must be positive");
    let endpoint = Endpoint::parse_http(&args.cms_url)?;
    let mut ctx = Ctx::with_given_tokens(args.common.clone())?;
    ctx.publish_label = "cms-http";
    let cms_sampler = sampler_for(args.cms_pid, "tm-cms (--cms-pid)")?;
    let mut cms = Cms::connect(&endpoint).await.context("tm-cms (--cms-url)")?;
    let names = room_names("b7", rand::random(), args.rooms);
    let (rooms, tokens) = setup_rooms(&mut cms, &names, MAX_LENGTH_LIMIT, true).await?;
    tracing::info!(rooms = rooms.len(), "rooms created, join tokens from tm-cms");
    ctx.target = ctx
        .target
        .clone()
        .with_join_tokens(rooms.iter().map(|r| r.slug.clone()).zip(tokens));
    let result = measure(&ctx, &args, &rates, &endpoint, &rooms, cms_sampler.as_ref()).await;
    cms.close_all(&rooms).await;
    result
}

async fn measure(
    ctx: &Ctx,
    args: &Args,
    rates: &[f64],
    cms_endpoint: &Endpoint,
    rooms: &[BenchRoom],
    cms_sampler: Option<&crate::sampler::ProcSampler>,
) -> anyhow::Result<()> {
    let first = ProbeGroup::new()?;
    let last = ProbeGroup::new()?;
    let mut fleet = ctx.fleet();
    let mut subs = Vec::with_capacity(rooms.len());
    let mut conns_failed = 0;
    for r in rooms {
        let failed = open_probed_room(&mut fleet, &r.slug, args.per_room - 2, &first, 1, &last, 1).await?;
        conns_failed += failed;
        subs.push(args.per_room as u64 - failed);
    }
    tracing::info!(subscribers = fleet.len(), conns_failed, "subscribers joined");
    let posters = match args.post_via {
        PostVia::Http => Posters::Http {
            pool: PostPool::start(cms_endpoint, args.http_conns, rooms.len(), secs(args.http_timeout)).await?,
            paths: rooms.iter().map(|r| messages_path(&r.slug)).collect(),
        },
        PostVia::Ws => {
            let slugs: Vec<String> = rooms.iter().map(|r| r.slug.clone()).collect();
            Posters::Ws(WsPosters::open(&ctx.target, &slugs, secs(args.http_timeout)).await?)
        }
    };
    tokio::time::sleep(secs(args.settle)).await;
    // A gateway that refuses the joins (another secret, another server on the port) answers
    // each socket once and closes it: measuring that would report nothing but zeros.
    let closed = fleet.counters.closed_by_server.load(Ordering::Relaxed);
    anyhow::ensure!(
        closed == 0,
        "the server at --url closed {closed} of {} subscribers right after they joined: is it the \
         tm-gateway of this tm-cms (same join secret)? See its log",
        fleet.len()
    );
    let dead0 = dead_letters(ctx).await;
    let mut results = Vec::new();
    for &rate in rates {
        let measure_from = crate::wall_ns() + secs(args.warmup).as_nanos() as u64;
        first.measure_from(measure_from);
        last.measure_from(measure_from);
        let f0 = fleet.frames();
        let gw0 = ctx.sample();
        let cms0 = cms_sampler.and_then(|s| s.sample().ok());
        let me0 = ctx.me.sample().ok();
        let t0 = Instant::now();
        let sched = Schedule::starting_now(rate, args.warmup + args.duration);
        let deadline = tokio::time::Instant::now() + secs((args.warmup + args.duration) * 3.0 + 10.0);
        let n = rooms.len();
        let st = run_open_loop(&sched, deadline, 5, async |k, t| {
            posters.dispatch(k as usize % n, t, make_body(t, args.size))
        })
        .await;
        let left = posters.drain(secs(args.http_timeout + 5.0)).await;
        let posting = t0.elapsed();
        let tally = posters.take()?;
        let expected = tally.expected_deliveries(&subs);
        let got = fleet.wait_frames(f0 + expected, secs(args.drain)).await - f0;
        let wall = t0.elapsed();
        let (gw1, cms1) = (ctx.sample(), cms_sampler.and_then(|s| s.sample().ok()));
        let mut m = BTreeMap::new();
        put_loop(&mut m, &st);
        tally.put("post_", &mut m);
        let rejected_later = posters.take_rejected_after_accept();
        let posts_failed = tally.non_2xx + tally.failed + left + rejected_later;
        m.insert("posts_failed".into(), posts_failed as f64);
        m.insert("posts_in_flight_at_end".into(), left as f64);
        m.insert("posts_rejected_after_accept".into(), rejected_later as f64);
        m.insert("posts_per_s".into(), tally.ok as f64 / posting.as_secs_f64().max(1e-9));
        m.insert("offered_posts_per_s".into(), rate);
        m.insert("subscribers".into(), fleet.len() as f64);
        m.insert("conns_failed".into(), conns_failed as f64);
        m.insert("deliveries".into(), got as f64);
        m.insert("expected_deliveries".into(), expected as f64);
        m.insert("delivered_ratio".into(), super::delivered_ratio(got, expected));
        m.insert("deliveries_per_s".into(), got as f64 / wall.as_secs_f64().max(1e-9));
        put_cpu(&mut m, gw0, gw1, wall, got);
        put_proc_cpu(&mut m, "cms_", cms0, cms1, wall, "post", tally.ok);
        put_gen_cpu(&mut m, me0, &ctx.me, wall);
        put_latency(&mut m, &first, &last)?;
        put_fleet(&mut m, &fleet);
        if let (Some(a), Some(b)) = (dead0, dead_letters(ctx).await) {
            m.insert("dead_letters".into(), b.saturating_sub(a) as f64);
        }
        if let Some(p) = &tally.first_problem {
            tracing::warn!(rate, first = %p, failed = posts_failed, "posts failed");
        }
        results.push((rate, m.clone()));
        let mut info = json!({
            "size": args.size, "duration": args.duration, "warmup": args.warmup,
            "http_conns": args.http_conns, "cms_url": args.cms_url, "post_statuses": tally.statuses(),
            "post_via": args.post_via.as_str(),
        });
        if let Some(p) = &tally.first_problem {
            info["first_post_problem"] = p.clone().into();
        }
        let case = format!(
            "rooms={},per_room={},rate={rate}{}",
            rooms.len(),
            args.per_room,
            via_suffix(args.post_via)
        );
        ctx.emit("s7", &case, m, info)?;
    }
    if rates.len() > 1 {
        let limit_us = args.p99_limit_ms * 1000.0;
        let mut m = BTreeMap::new();
        m.insert("sustained_posts_per_s".into(), sustained(&results, limit_us));
        m.insert(
            "highest_offered_posts_per_s".into(),
            rates.iter().copied().fold(0.0, f64::max),
        );
        let info = json!({"p99_limit_ms": args.p99_limit_ms, "rates": rates});
        let case = format!(
            "rooms={},per_room={},ramp{}",
            rooms.len(),
            args.per_room,
            via_suffix(args.post_via)
        );
        ctx.emit("s7", &case, m, info)?;
    }
    posters.close().await;
    fleet.close_all(secs(10.0)).await;
    Ok(())
}

/// The case name's mark for WebSocket posts (HTTP posts keep the names they always had).
fn via_suffix(via: PostVia) -> &'static str {
    match via {
        PostVia::Http => "",
        PostVia::Ws => ",via=ws",
    }
}

/// Messages in every dead-letter queue under the bus prefix, when one was given (the empty,
/// production prefix is never touched).
async fn dead_letters(ctx: &Ctx) -> Option<u64> {
    if ctx.common.amqp.bus_prefix.is_empty() {
        return None;
    }
    let bus = crate::publisher::connect_bus(&ctx.common.amqp.bus_config(), "tm-bench-s7")
        .await
        .ok()?;
    let mut total = 0u64;
    let mut ok = true;
    for q in tm_bus::CommandQueue::ALL {
        match tokio::time::timeout(Duration::from_secs(5), bus.dead_letter_depth(q)).await {
            Ok(Ok(n)) => total += u64::from(n),
            _ => ok = false,
        }
    }
    bus.close().await;
    ok.then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(rate: f64, p99_ms: f64, ratio: f64, failed: f64) -> (f64, BTreeMap<String, f64>) {
        let m = [
            ("all_p99_us", p99_ms * 1000.0),
            ("delivered_ratio", ratio),
            ("posts_failed", failed),
        ];
        (rate, m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    #[test]
    fn sustained_is_the_highest_rate_within_every_bound() {
        let rs = [
            r(100.0, 8.0, 1.0, 0.0),
            r(200.0, 20.0, 1.0, 0.0),
            r(400.0, 49.0, 0.995, 0.0),
            r(800.0, 300.0, 0.7, 0.0),
        ];
        assert_eq!(sustained(&rs, 50_000.0), 400.0);
        assert_eq!(sustained(&rs, 10_000.0), 100.0);
        // A lost post or an undelivered share disqualifies a rate, whatever its latency.
        assert_eq!(
            sustained(&[r(100.0, 5.0, 1.0, 1.0), r(50.0, 5.0, 1.0, 0.0)], 50_000.0),
            50.0
        );
        assert_eq!(sustained(&[r(100.0, 5.0, 0.9, 0.0)], 50_000.0), 0.0);
        // No latency measured (nothing delivered to the probes) is not a pass.
        assert_eq!(sustained(&[r(100.0, 0.0, 1.0, 0.0)], 50_000.0), 0.0);
        assert_eq!(sustained(&[], 50_000.0), 0.0);
    }
}
