//! The three tm binaries as child processes that a test can stop, kill and restart.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use tokio::process::{Child, Command};

/// Which binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Cms,
    Gateway,
    Ingest,
}

impl Kind {
    pub fn binary(&self) -> &'static str {
        match self {
            Kind::Cms => "tm-cms",
            Kind::Gateway => "tm-gateway",
            Kind::Ingest => "tm-ingest",
        }
    }

    /// The prefix of this service's environment settings.
    pub fn env_prefix(&self) -> &'static str {
        match self {
            Kind::Cms => "TM_CMS",
            Kind::Gateway => "TM_GATEWAY",
            Kind::Ingest => "TM_INGEST",
        }
    }
}

/// Where `cargo build --bins` put the binaries: next to this test's `deps/` folder.
pub fn binary_path(kind: Kind) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .context("test executable has no target/<profile> folder")?;
    let path = profile_dir.join(kind.binary());
    if !path.exists() {
        bail!(
            "{} not found: build the binaries first (`cargo build --bins`; `make test` does)",
            path.display()
        );
    }
    Ok(path)
}

/// A running (or stopped) service with the settings it was started with.
pub struct Service {
    pub kind: Kind,
    pub name: String,
    /// Address of its HTTP listener (`/healthz`).
    pub http_addr: std::net::SocketAddr,
    settings: Vec<(String, String)>,
    args: Vec<String>,
    child: Option<Child>,
    starts: u32,
    log_dir: PathBuf,
}

impl Service {
    /// `settings` are `(SECTION__KEY, value)` pairs, given as `TM_<SERVICE>__SECTION__KEY`.
    /// Logs go to `target/e2e-logs/<group>/<name>-<start>.log`.
    pub fn new(
        kind: Kind,
        name: &str,
        group: &str,
        http_addr: std::net::SocketAddr,
        settings: Vec<(String, String)>,
    ) -> Self {
        let log_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/e2e-logs")
            .join(group);
        Service {
            kind,
            name: name.to_owned(),
            http_addr,
            settings,
            args: vec![],
            child: None,
            starts: 0,
            log_dir,
        }
    }

    pub fn with_args(mut self, args: &[&str]) -> Self {
        self.args = args.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Spawns the process and waits until `/healthz` answers 200.
    pub async fn start(&mut self) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.log_dir)?;
        self.starts += 1;
        let log_path = self.log_path();
        let log = std::fs::File::create(&log_path)?;
        let mut cmd = Command::new(binary_path(self.kind)?);
        cmd.args(&self.args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env(
                "RUST_LOG",
                std::env::var("TM_E2E_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true);
        for (key, value) in &self.settings {
            cmd.env(format!("{}__{key}", self.kind.env_prefix()), value);
        }
        self.child = Some(cmd.spawn().with_context(|| format!("spawning {}", self.name))?);
        self.wait_healthy(Duration::from_secs(60)).await
    }

    pub fn log_path(&self) -> PathBuf {
        self.log_dir.join(format!("{}-{}.log", self.name, self.starts))
    }

    /// The last lines of the current log, for failure messages.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    async fn wait_healthy(&mut self, within: Duration) -> anyhow::Result<()> {
        let url = format!("http://{}/healthz", self.http_addr);
        let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build()?;
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                bail!(
                    "{} exited during start with {status}:\n{}",
                    self.name,
                    self.log_tail(40)
                );
            }
            if let Ok(r) = client.get(&url).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            if tokio::time::Instant::now() > deadline {
                bail!("{} not healthy within {within:?}:\n{}", self.name, self.log_tail(40));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    fn pid(&self) -> anyhow::Result<Pid> {
        let id = self.child.as_ref().and_then(|c| c.id()).context("not running")?;
        Ok(Pid::from_raw(i32::try_from(id)?))
    }

    /// SIGKILL: the crash case.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        kill(self.pid()?, Signal::SIGKILL)?;
        if let Some(mut child) = self.child.take() {
            child.wait().await?;
        }
        Ok(())
    }

    /// SIGTERM, then wait up to `within` for a clean exit; returns whether it exited 0.
    pub async fn terminate(&mut self, within: Duration) -> anyhow::Result<bool> {
        kill(self.pid()?, Signal::SIGTERM)?;
        let mut child = self.child.take().context("not running")?;
        match tokio::time::timeout(within, child.wait()).await {
            Ok(status) => Ok(status?.success()),
            Err(_) => {
                child.kill().await?;
                bail!(
                    "{} did not exit within {within:?} of SIGTERM:\n{}",
                    self.name,
                    self.log_tail(40)
                )
            }
        }
    }

    /// SIGSTOP / SIGCONT: a hung process.
    pub fn freeze(&self, frozen: bool) -> anyhow::Result<()> {
        kill(self.pid()?, if frozen { Signal::SIGSTOP } else { Signal::SIGCONT })?;
        Ok(())
    }
}
