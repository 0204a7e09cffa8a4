//! tm-bench: a load generator that measures WebSocket fan-out servers.
//!
//! It drives a target (tm-gateway, or one of the reference peers in `shared/bench/peers/`) with
//! many cheap *sink* connections that only count frames, a few *probe* connections that parse
//! every frame and record latency from the publisher's *intended* send time (open loop, so no
//! coordinated omission), a [`publisher::Publisher`] that injects messages, and a
//! [`sampler`] that reads the server's RSS and CPU time from `/proc`. Every scenario prints
//! JSON lines ([`output::Record`]); [`compare`] turns them into a Markdown table of medians and
//! ratios against a named baseline.
//!
//! Modules are small: [`frame`] (WebSocket frames read by header), [`handshake`] (the HTTP
//! upgrade through hyper, handing back the raw socket), [`conn`] (sink/probe connection loops
//! and the fleet that opens them), [`hist`] (HDR latency histograms), [`sched`] (open-loop
//! schedule), [`publisher`], [`sampler`], [`output`], [`compare`] (with [`limits`]), [`scenario`]
//! (S1–S8) and [`cli`]. S7 and S8 also drive tm-cms over HTTP: [`http`] (a keep-alive HTTP/1.1
//! client), [`cms`] (its JSON API) and [`pool`] (requests in parallel, open or closed loop);
//! S7 can post over the gateway's WebSocket instead ([`ws_post`]).

pub mod cli;
pub mod cms;
pub mod compare;
pub mod conn;
pub mod frame;
pub mod handshake;
pub mod hist;
pub mod http;
pub mod limits;
pub mod output;
pub mod pool;
pub mod publisher;
pub mod sampler;
pub mod scenario;
pub mod sched;
pub mod target;
pub mod ws_post;

/// Nanoseconds since the Unix epoch (CLOCK_REALTIME): the clock shared by publisher and probes.
pub fn wall_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Checks `done` every `every` until it holds or `timeout` has passed; returns whether it held.
pub async fn poll_until(
    timeout: std::time::Duration,
    every: std::time::Duration,
    mut done: impl FnMut() -> bool,
) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(every).await;
    }
}
