//! HTTP requests to tm-cms in parallel over several keep-alive connections.
//!
//! - [`PostPool`] (S7, open loop): the schedule hands each due request to the pool and goes on
//!   without waiting for the answer; `conns` workers, one connection each, take requests in
//!   order. A request waits for a free connection when all are busy: [`Tally::sched`] (intended
//!   time → answer) includes that wait, [`Tally::answer`] (request written → answer read) does
//!   not.
//! - [`closed_loop`] (S8): `conns` workers each send their next request as soon as the previous
//!   one was answered, for a fixed time.
//!
//! [`Tally`] is the accounting both share: answers by status, failures without an answer,
//! successes per room, latencies.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::hist::LatencyHist;
use crate::http::HttpConn;
use crate::target::Endpoint;

/// One request: what to send, and for the accounting which room and when it was due.
#[derive(Debug, Clone)]
pub struct Job {
    /// Room index (for [`Tally::ok_per_room`]).
    pub room: usize,
    /// Intended send time, ns since the Unix epoch (0: not scheduled).
    pub intended_ns: u64,
    /// `GET` or `POST`.
    pub method: hyper::Method,
    /// Request target.
    pub path: String,
    /// JSON body, if any.
    pub body: Option<Vec<u8>>,
}

/// How one request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An answer with this status.
    Status(u16),
    /// No answer (I/O error, timeout); the message.
    Failed(String),
}

/// Counts and latencies of a set of requests.
#[derive(Debug, Clone)]
pub struct Tally {
    /// Requests that ended (answered or failed).
    pub done: u64,
    /// 2xx answers.
    pub ok: u64,
    /// Answers that were not 2xx.
    pub non_2xx: u64,
    /// 429 answers (a CMS rate limit was hit): also counted in `non_2xx`.
    pub status_429: u64,
    /// Requests without an answer.
    pub failed: u64,
    /// Answers by status.
    pub by_status: BTreeMap<u16, u64>,
    /// 2xx answers per room index.
    pub ok_per_room: Vec<u64>,
    /// Request written → answer read, for every answer (whatever its status).
    pub answer: LatencyHist,
    /// Intended time → answer read, for every answer of a scheduled request (includes waiting
    /// for a free connection).
    pub sched: LatencyHist,
    /// The first failure or non-2xx answer, for the log.
    pub first_problem: Option<String>,
}

impl Tally {
    /// An empty tally for `rooms` rooms.
    pub fn new(rooms: usize) -> anyhow::Result<Self> {
        Ok(Self {
            done: 0,
            ok: 0,
            non_2xx: 0,
            status_429: 0,
            failed: 0,
            by_status: BTreeMap::new(),
            ok_per_room: vec![0; rooms],
            answer: LatencyHist::new()?,
            sched: LatencyHist::new()?,
            first_problem: None,
        })
    }

    /// Records one request to `room`: its outcome, the answer latency (ns) and, for a scheduled
    /// request, the latency from its intended time (ns).
    pub fn record(&mut self, room: usize, outcome: &Outcome, answer_ns: u64, sched_ns: Option<u64>) {
        self.done += 1;
        let problem = match outcome {
            Outcome::Failed(e) => {
                self.failed += 1;
                e.clone()
            }
            Outcome::Status(s) => {
                *self.by_status.entry(*s).or_default() += 1;
                self.answer.record_ns(answer_ns);
                if let Some(ns) = sched_ns {
                    self.sched.record_ns(ns);
                }
                if (200..300).contains(s) {
                    self.ok += 1;
                    if let Some(n) = self.ok_per_room.get_mut(room) {
                        *n += 1;
                    }
                    return;
                }
                self.non_2xx += 1;
                self.status_429 += u64::from(*s == 429);
                format!("HTTP {s}")
            }
        };
        self.first_problem.get_or_insert(problem);
    }

    /// Σ over rooms of 2xx answers × `subs[room]`: the deliveries these posts should make.
    pub fn expected_deliveries(&self, subs: &[u64]) -> u64 {
        self.ok_per_room
            .iter()
            .zip(subs)
            .map(|(ok, s)| ok.saturating_mul(*s))
            .sum()
    }

    /// Adds the figures to `m` under `prefix` (`post_` → `post_ok`, `post_p99_us`…): counts,
    /// answer latency percentiles, and `<prefix>sched_*` when any request was scheduled.
    pub fn put(&self, prefix: &str, m: &mut BTreeMap<String, f64>) {
        m.insert(format!("{prefix}ok"), self.ok as f64);
        m.insert(format!("{prefix}non_2xx"), self.non_2xx as f64);
        m.insert(format!("{prefix}429"), self.status_429 as f64);
        m.insert(format!("{prefix}failed"), self.failed as f64);
        self.answer.put(prefix, m);
        if !self.sched.is_empty() {
            self.sched.put(&format!("{prefix}sched_"), m);
        }
    }

    /// The answers by status as JSON, for a record's info.
    pub fn statuses(&self) -> serde_json::Value {
        self.by_status
            .iter()
            .map(|(s, n)| (s.to_string(), serde_json::Value::from(*n)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    }
}

async fn send(conn: &mut HttpConn, job: &Job) -> (Outcome, u64) {
    let t0 = Instant::now();
    let r = conn
        .request(job.method.clone(), &job.path, None, job.body.as_deref())
        .await;
    let took = u64::try_from(t0.elapsed().as_nanos()).unwrap_or(u64::MAX);
    match r {
        Ok(resp) => (Outcome::Status(resp.status), took),
        Err(e) => (Outcome::Failed(format!("{e:#}")), took),
    }
}

/// What was handed over and how it ended: the bookkeeping every way of posting shares
/// ([`PostPool`], and [`crate::ws_post::WsPosters`]). Workers record into [`Ledger::tally`].
#[derive(Debug, Clone)]
pub struct Ledger {
    dispatched: Arc<AtomicU64>,
    tally: Arc<Mutex<Tally>>,
    rooms: usize,
}

impl Ledger {
    /// An empty ledger for `rooms` rooms.
    pub fn new(rooms: usize) -> anyhow::Result<Self> {
        Ok(Self {
            dispatched: Arc::new(AtomicU64::new(0)),
            tally: Arc::new(Mutex::new(Tally::new(rooms)?)),
            rooms,
        })
    }

    /// Where workers record how each post ended.
    pub fn tally(&self) -> &Arc<Mutex<Tally>> {
        &self.tally
    }

    /// Counts one post handed over.
    pub fn dispatched(&self) {
        self.dispatched.fetch_add(1, Ordering::Relaxed);
    }

    /// Posts handed over and not ended yet.
    pub fn in_flight(&self) -> u64 {
        let done = self.tally.lock().map_or(0, |t| t.done);
        self.dispatched.load(Ordering::Relaxed).saturating_sub(done)
    }

    /// Waits until every post handed over has ended, at most `timeout`; returns how many are
    /// still in flight.
    pub async fn drain(&self, timeout: Duration) -> u64 {
        let mut left = 0;
        crate::poll_until(timeout, Duration::from_millis(5), || {
            left = self.in_flight();
            left == 0
        })
        .await;
        left
    }

    /// The tally so far, replaced by an empty one (call after [`Ledger::drain`]).
    pub fn take(&self) -> anyhow::Result<Tally> {
        let fresh = Tally::new(self.rooms)?;
        let mut t = self.tally.lock().map_err(|_| anyhow::anyhow!("tally lock poisoned"))?;
        self.dispatched.fetch_sub(t.done, Ordering::Relaxed);
        Ok(std::mem::replace(&mut *t, fresh))
    }
}

/// Open-loop request pool: see the module docs.
#[derive(Debug)]
pub struct PostPool {
    tx: Option<mpsc::UnboundedSender<Job>>,
    ledger: Ledger,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl PostPool {
    /// Opens `conns` connections to `base` and starts one worker on each.
    pub async fn start(base: &Endpoint, conns: usize, rooms: usize, timeout: Duration) -> anyhow::Result<Self> {
        let (tx, rx) = mpsc::unbounded_channel::<Job>();
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        let ledger = Ledger::new(rooms)?;
        let mut workers = Vec::with_capacity(conns);
        for _ in 0..conns.max(1) {
            let mut conn = HttpConn::connect(base, timeout).await?;
            let (rx, tally) = (rx.clone(), ledger.tally().clone());
            workers.push(tokio::spawn(async move {
                loop {
                    // Hold the queue only while taking a job, never while sending it.
                    let job = rx.lock().await.recv().await;
                    let Some(job) = job else { break };
                    let (outcome, took) = send(&mut conn, &job).await;
                    let sched = (job.intended_ns > 0).then(|| crate::wall_ns().saturating_sub(job.intended_ns));
                    if let Ok(mut t) = tally.lock() {
                        t.record(job.room, &outcome, took, sched);
                    }
                }
            }));
        }
        Ok(Self {
            tx: Some(tx),
            ledger,
            workers,
        })
    }

    /// Hands `job` to the pool; never waits.
    pub fn dispatch(&self, job: Job) -> anyhow::Result<()> {
        let tx = self.tx.as_ref().ok_or_else(|| anyhow::anyhow!("the pool is closed"))?;
        tx.send(job)
            .map_err(|_| anyhow::anyhow!("every pool worker has stopped"))?;
        self.ledger.dispatched();
        Ok(())
    }

    /// Requests handed over and not ended yet.
    pub fn in_flight(&self) -> u64 {
        self.ledger.in_flight()
    }

    /// Waits until every request handed over has ended, at most `timeout`; returns how many are
    /// still in flight.
    pub async fn drain(&self, timeout: Duration) -> u64 {
        self.ledger.drain(timeout).await
    }

    /// The tally so far, replaced by an empty one (call after [`PostPool::drain`]).
    pub fn take(&self) -> anyhow::Result<Tally> {
        self.ledger.take()
    }

    /// Stops the workers once the queue is empty (bounded by `wait`).
    pub async fn close(mut self, wait: Duration) {
        self.tx = None;
        let workers = std::mem::take(&mut self.workers);
        let all = futures_util::future::join_all(workers);
        let _ = tokio::time::timeout(wait, all).await;
    }
}

impl Drop for PostPool {
    fn drop(&mut self) {
        for w in &self.workers {
            w.abort();
        }
    }
}

/// Closed loop: `conns` connections each send `make(i)` (i counts per connection… over all of
/// them) again as soon as the previous answer came, for `secs` seconds. Returns the tally and
/// the wall time the loop took.
pub async fn closed_loop<F>(
    base: &Endpoint,
    conns: usize,
    rooms: usize,
    secs: f64,
    timeout: Duration,
    make: F,
) -> anyhow::Result<(Tally, Duration)>
where
    F: Fn(u64) -> Job + Send + Sync + 'static,
{
    let tally = Arc::new(Mutex::new(Tally::new(rooms)?));
    let counter = Arc::new(AtomicU64::new(0));
    let make = Arc::new(make);
    let mut opened = Vec::with_capacity(conns);
    for _ in 0..conns.max(1) {
        opened.push(HttpConn::connect(base, timeout).await?);
    }
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs_f64(secs.max(0.0));
    let workers: Vec<_> = opened
        .into_iter()
        .map(|mut conn| {
            let (tally, counter, make) = (tally.clone(), counter.clone(), make.clone());
            tokio::spawn(async move {
                while Instant::now() < end {
                    let job = make(counter.fetch_add(1, Ordering::Relaxed));
                    let (outcome, took) = send(&mut conn, &job).await;
                    if let Ok(mut t) = tally.lock() {
                        t.record(job.room, &outcome, took, None);
                    }
                }
            })
        })
        .collect();
    // Each worker stops at `end` after its request in flight; a hung one is bounded by the
    // request timeout.
    let bound = Duration::from_secs_f64(secs.max(0.0)) + timeout + Duration::from_secs(1);
    let joined = tokio::time::timeout(bound, futures_util::future::join_all(workers)).await;
    let wall = t0.elapsed();
    if joined.is_err() {
        tracing::warn!("closed loop: some workers did not finish in time");
    }
    let t = tally
        .lock()
        .map_err(|_| anyhow::anyhow!("tally lock poisoned"))?
        .clone();
    Ok((t, wall))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_counts_statuses_failures_and_rooms() {
        let mut t = Tally::new(3).unwrap();
        t.record(0, &Outcome::Status(201), 2_000_000, Some(3_000_000));
        t.record(1, &Outcome::Status(201), 4_000_000, Some(5_000_000));
        t.record(1, &Outcome::Status(201), 4_000_000, None);
        t.record(2, &Outcome::Status(429), 1_000_000, Some(1_000_000));
        t.record(2, &Outcome::Status(503), 1_000_000, Some(1_000_000));
        t.record(
            0,
            &Outcome::Failed("connection reset".into()),
            9_000_000,
            Some(9_000_000),
        );
        t.record(7, &Outcome::Status(201), 1_000_000, None); // out of range: counted, no room
        assert_eq!((t.done, t.ok, t.non_2xx, t.status_429, t.failed), (7, 4, 2, 1, 1));
        assert_eq!(t.ok_per_room, vec![1, 2, 0]);
        assert_eq!(t.by_status.get(&201), Some(&4));
        assert_eq!(t.by_status.get(&429), Some(&1));
        assert_eq!(t.first_problem.as_deref(), Some("HTTP 429"));
        // Latency only for answers; the failure has none.
        assert_eq!(t.answer.len(), 6);
        assert_eq!(t.sched.len(), 4);
        assert_eq!(t.expected_deliveries(&[10, 100, 1000]), 10 + 200);
        let mut m = BTreeMap::new();
        t.put("post_", &mut m);
        assert_eq!(m["post_ok"], 4.0);
        assert_eq!(m["post_429"], 1.0);
        assert_eq!(m["post_failed"], 1.0);
        assert_eq!(m["post_non_2xx"], 2.0);
        assert_eq!(m["post_count"], 6.0);
        assert!(m.contains_key("post_p99_us") && m.contains_key("post_sched_p99_us"));
        assert_eq!(t.statuses(), serde_json::json!({"201": 4, "429": 1, "503": 1}));
    }

    #[test]
    fn an_empty_tally_reports_no_sched_latency() {
        let t = Tally::new(1).unwrap();
        let mut m = BTreeMap::new();
        t.put("req_", &mut m);
        assert_eq!(m["req_ok"], 0.0);
        assert!(!m.contains_key("req_sched_p99_us"));
        assert_eq!(t.expected_deliveries(&[]), 0);
    }
}
