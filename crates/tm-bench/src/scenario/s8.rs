//! S8 — tm-cms alone: how many requests per second it answers, closed loop. `conns` keep-alive
//! connections each send their next request as soon as the previous one was answered, for
//! `duration` seconds, in two cases:
//!
//! - `page`: `GET /r/{slug}`, the room page a visitor opens (rendered from MariaDB);
//! - `post`: `POST /api/v1/rooms/{slug}/messages`, a participant's post (a transaction in
//!   MariaDB, then the relay publishes it to RabbitMQ).
//!
//! Requests go round-robin over `rooms` rooms made for the run (`b8-<random>-<i>`), each seeded
//! with `seed` messages first so the page has something to show; the rooms are closed at the
//! end. Reports requests/s (2xx answers only), answer latency, non-2xx answers and the CMS's CPU
//! per request.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context as _;
use serde_json::json;

use super::{put_proc_cpu, sampler_for, secs};
use crate::cms::{messages_path, page_path, post_body, room_names, setup_rooms, Cms, MAX_LENGTH_LIMIT};
use crate::output::RunOpts;
use crate::pool::{closed_loop, Job};
use crate::publisher::make_body;
use crate::sampler::ProcSampler;
use crate::target::Endpoint;

/// What S8 requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Case {
    /// `GET /r/{slug}`.
    Page,
    /// `POST /api/v1/rooms/{slug}/messages`.
    Post,
}

impl Case {
    fn as_str(self) -> &'static str {
        match self {
            Self::Page => "page",
            Self::Post => "post",
        }
    }
}

/// S8 flags.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// tm-cms base URL, http://127.0.0.1:PORT (loopback only).
    #[arg(long)]
    pub cms_url: String,
    /// tm-cms pid, for its CPU time from /proc.
    #[arg(long)]
    pub cms_pid: Option<u32>,
    /// Label in the results.
    #[arg(long, default_value = "tm-cms")]
    pub target_name: String,
    #[command(flatten)]
    pub run: RunOpts,
    /// Cases, in order.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Case::Page, Case::Post])]
    pub cases: Vec<Case>,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 16)]
    pub conns: usize,
    /// Measured seconds per case.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Rooms the requests go round-robin over.
    #[arg(long, default_value_t = 8)]
    pub rooms: usize,
    /// Messages posted to each room before measuring.
    #[arg(long, default_value_t = 20)]
    pub seed: usize,
    /// Body size of posts, bytes.
    #[arg(long, default_value_t = 256)]
    pub size: usize,
    /// Seconds one request may take before it counts as failed.
    #[arg(long, default_value_t = 10.0)]
    pub http_timeout: f64,
    /// Hard bound on the whole scenario, seconds.
    #[arg(long, default_value_t = 600.0)]
    pub max_seconds: f64,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.rooms >= 1, "--rooms must be at least 1");
    anyhow::ensure!(
        args.size <= MAX_LENGTH_LIMIT,
        "--size {} is over the largest room max_length ({MAX_LENGTH_LIMIT})",
        args.size
    );
    let endpoint = Endpoint::parse_http(&args.cms_url)?;
    let cms_sampler = sampler_for(args.cms_pid, "tm-cms (--cms-pid)")?;
    let me = ProcSampler::new(std::process::id());
    let mut cms = Cms::connect(&endpoint).await.context("tm-cms (--cms-url)")?;
    let names = room_names("b8", rand::random(), args.rooms);
    let (rooms, _) = setup_rooms(&mut cms, &names, MAX_LENGTH_LIMIT, false).await?;
    let result = async {
        for r in &rooms {
            for _ in 0..args.seed {
                cms.post(&r.slug, &make_body(crate::wall_ns(), args.size)).await?;
            }
        }
        let slugs: Arc<Vec<String>> = Arc::new(rooms.iter().map(|r| r.slug.clone()).collect());
        for &case in &args.cases {
            let s = slugs.clone();
            let size = args.size;
            let make = move |i: u64| {
                let room = i as usize % s.len();
                let (method, path, body) = match case {
                    Case::Page => (hyper::Method::GET, page_path(&s[room]), None),
                    Case::Post => {
                        let body = post_body(&make_body(crate::wall_ns(), size)).ok();
                        (hyper::Method::POST, messages_path(&s[room]), body)
                    }
                };
                Job {
                    room,
                    intended_ns: 0,
                    method,
                    path,
                    body,
                }
            };
            let (cms0, me0) = (cms_sampler.as_ref().and_then(|s| s.sample().ok()), me.sample().ok());
            let (tally, wall) = closed_loop(
                &endpoint,
                args.conns,
                rooms.len(),
                args.duration,
                secs(args.http_timeout),
                make,
            )
            .await?;
            let cms1 = cms_sampler.as_ref().and_then(|s| s.sample().ok());
            let mut m = BTreeMap::new();
            tally.put("req_", &mut m);
            m.insert("requests_per_s".into(), tally.ok as f64 / wall.as_secs_f64().max(1e-9));
            put_proc_cpu(&mut m, "cms_", cms0, cms1, wall, "request", tally.ok);
            super::put_gen_cpu(&mut m, me0, &me, wall);
            if let Some(p) = &tally.first_problem {
                tracing::warn!(case = case.as_str(), first = %p, non_2xx = tally.non_2xx, failed = tally.failed,
                    "requests failed");
            }
            let mut info = json!({
                "cms_url": args.cms_url, "duration": args.duration, "statuses": tally.statuses(), "rooms": args.rooms,
            });
            if case == Case::Post {
                info["size"] = args.size.into();
            }
            if let Some(p) = &tally.first_problem {
                info["first_problem"] = p.clone().into();
            }
            let name = format!("{},conns={}", case.as_str(), args.conns);
            args.run.emit(&args.target_name, "cms", "s8", &name, m, info)?;
        }
        anyhow::Ok(())
    }
    .await;
    cms.close_all(&rooms).await;
    result
}
