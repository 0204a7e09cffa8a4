//! Server resource sampling from `/proc/<pid>/status` (VmRSS) and `/proc/<pid>/stat`
//! (utime + stime). CPU time per delivery is the figure that stays meaningful on a busy machine:
//! wall-clock throughput moves with the noise, CPU spent per message much less.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// One reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcSample {
    /// Resident set size, bytes.
    pub rss_bytes: u64,
    /// User + system CPU time, µs.
    pub cpu_us: u64,
}

/// `VmRSS` from a `/proc/<pid>/status` text, in bytes.
pub fn parse_status_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let mut it = line["VmRSS:".len()..].split_whitespace();
    let n: u64 = it.next()?.parse().ok()?;
    match it.next() {
        Some("kB") | None => Some(n * 1024),
        Some(_) => None,
    }
}

/// utime + stime (clock ticks) from a `/proc/<pid>/stat` text. The command name may hold spaces
/// and parentheses, so fields are counted from the last `)`.
pub fn parse_stat_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut f = rest.split_whitespace();
    // After the name: field 3 (state) is index 0, so utime (14) is index 11, stime (15) index 12.
    let utime: u64 = f.nth(11)?.parse().ok()?;
    let stime: u64 = f.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Reads one process's RSS and CPU time.
#[derive(Debug, Clone)]
pub struct ProcSampler {
    pid: u32,
    tick_us: u64,
}

impl ProcSampler {
    /// A sampler for `pid` (`std::process::id()` for ourselves).
    pub fn new(pid: u32) -> Self {
        // `/proc/<pid>/stat` counts CPU time in clock ticks (`CLK_TCK`).
        let hz = rustix::param::clock_ticks_per_second().max(1);
        Self {
            pid,
            tick_us: 1_000_000 / hz,
        }
    }

    /// Reads `/proc` now.
    pub fn sample(&self) -> std::io::Result<ProcSample> {
        let bad = |what| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))?;
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid))?;
        Ok(ProcSample {
            rss_bytes: parse_status_rss(&status).ok_or_else(|| bad("no VmRSS"))?,
            cpu_us: parse_stat_cpu_ticks(&stat).ok_or_else(|| bad("bad stat"))? * self.tick_us,
        })
    }

    /// Median RSS of `n` readings `gap` apart (RSS of a GC'd server wobbles), with the last CPU.
    pub async fn settled(&self, n: usize, gap: Duration) -> std::io::Result<ProcSample> {
        let mut rss = Vec::with_capacity(n.max(1));
        let mut last = self.sample()?;
        rss.push(last.rss_bytes);
        for _ in 1..n {
            tokio::time::sleep(gap).await;
            last = self.sample()?;
            rss.push(last.rss_bytes);
        }
        rss.sort_unstable();
        Ok(ProcSample {
            rss_bytes: rss[rss.len() / 2],
            cpu_us: last.cpu_us,
        })
    }
}

/// A background task that samples every `interval` and keeps a trace of the RSS.
#[derive(Debug)]
pub struct Watch {
    stop: CancellationToken,
    task: tokio::task::JoinHandle<Vec<(f64, u64)>>,
}

impl Watch {
    /// Starts sampling `sampler` every `interval` (bounded by `max_samples`).
    pub fn start(sampler: ProcSampler, interval: Duration, max_samples: usize) -> Self {
        let stop = CancellationToken::new();
        let s = stop.clone();
        let task = tokio::spawn(async move {
            let t0 = tokio::time::Instant::now();
            let mut trace = Vec::new();
            let mut tick = tokio::time::interval(interval);
            while trace.len() < max_samples {
                tokio::select! {
                    () = s.cancelled() => break,
                    _ = tick.tick() => {}
                }
                if let Ok(x) = sampler.sample() {
                    trace.push((t0.elapsed().as_secs_f64(), x.rss_bytes));
                }
            }
            trace
        });
        Self { stop, task }
    }

    /// Stops; returns `(seconds since start, rss)` samples.
    pub async fn finish(self) -> Vec<(f64, u64)> {
        self.stop.cancel();
        self.task.await.unwrap_or_default()
    }
}

/// Least-squares slope of `y` over `x` (0 when undefined).
pub fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if points.len() < 2 {
        return 0.0;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = points.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    if sxx == 0.0 {
        0.0
    } else {
        sxy / sxx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_texts() {
        let status = "Name:\tnode\nVmPeak:\t  999 kB\nVmRSS:\t   51234 kB\nThreads: 7\n";
        assert_eq!(parse_status_rss(status), Some(51_234 * 1024));
        assert_eq!(parse_status_rss("Name: x\n"), None);
        let stat = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 \
                    250 75 0 0 20 0 7 0 12345 1000000 500 18446744073709551615";
        assert_eq!(parse_stat_cpu_ticks(stat), Some(325));
        assert_eq!(parse_stat_cpu_ticks("1 (x) S 1 2"), None);
    }

    #[test]
    fn samples_ourselves() {
        let s = ProcSampler::new(std::process::id()).sample().unwrap();
        assert!(s.rss_bytes > 1024 * 1024);
    }

    #[test]
    fn slope_fits_a_line() {
        let pts: Vec<(f64, f64)> = (0..10)
            .map(|i| (i as f64 * 1000.0, 5e6 + i as f64 * 1000.0 * 1100.0))
            .collect();
        assert!((slope(&pts) - 1100.0).abs() < 1e-6);
        assert_eq!(slope(&[(1.0, 2.0)]), 0.0);
    }
}
