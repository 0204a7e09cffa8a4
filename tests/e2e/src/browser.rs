//! Headless Chromium for browser tests, driven over WebDriver with fantoccini.
//!
//! Each [`Browser`] runs its own chromedriver on a free port and a fresh profile, so tests run
//! in parallel without sharing cookies or storage. The flags keep Chromium off the network
//! (this machine has none beyond loopback) and let it run as root in a container.

use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context};
use fantoccini::{wd::Capabilities, Client, ClientBuilder};
// Plain HTTP to a chromedriver on loopback: no TLS stack needed.
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tokio::process::{Child, Command};

use crate::ports::free_port;

/// A browser session and the chromedriver behind it.
pub struct Browser {
    pub client: Client,
    /// chromedriver's base URL, for the commands fantoccini has no method for (DevTools).
    driver_url: String,
    driver: Child,
    _profile: TempDir,
}

/// Options for one session.
#[derive(Debug, Clone, Copy)]
pub struct BrowserOptions {
    pub javascript: bool,
    pub width: u32,
    pub height: u32,
    /// The browser's time zone (an IANA name such as `Asia/Kolkata`); `None`: the machine's.
    pub timezone: Option<&'static str>,
    /// What `prefers-color-scheme` reports to the pages (emulated over DevTools).
    pub color_scheme: ColorScheme,
}

/// The colour scheme a page sees in `@media (prefers-color-scheme: ...)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ColorScheme {
    #[default]
    Light,
    Dark,
}

impl ColorScheme {
    pub fn as_css(self) -> &'static str {
        match self {
            ColorScheme::Light => "light",
            ColorScheme::Dark => "dark",
        }
    }
}

impl Default for BrowserOptions {
    fn default() -> Self {
        BrowserOptions {
            javascript: true,
            width: 1280,
            height: 900,
            timezone: None,
            color_scheme: ColorScheme::Light,
        }
    }
}

/// Paths of the Debian packages; `TM_CHROMIUM` / `TM_CHROMEDRIVER` override.
fn executables() -> anyhow::Result<(String, String)> {
    let chromium = std::env::var("TM_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let driver = std::env::var("TM_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    for path in [&chromium, &driver] {
        if !std::path::Path::new(path).exists() {
            bail!("{path} is missing: install the Debian packages chromium and chromium-driver (scripts/dev-services.sh --with-browser)");
        }
    }
    Ok((chromium, driver))
}

impl Browser {
    pub async fn start(options: BrowserOptions) -> anyhow::Result<Self> {
        let (chromium, driver_path) = executables()?;
        let port = free_port()?;
        let mut driver = Command::new(driver_path);
        // Chromium inherits chromedriver's environment, and takes its time zone from TZ.
        if let Some(timezone) = options.timezone {
            driver.env("TZ", timezone);
        }
        let driver = driver
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting chromedriver")?;
        let profile = TempDir::new("tm-chromium")?;
        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-extensions".into(),
            format!("--window-size={},{}", options.width, options.height),
            format!("--user-data-dir={}", profile.path.display()),
        ];
        if !options.javascript {
            args.push("--blink-settings=scriptEnabled=false".into());
        }
        let mut prefs = serde_json::Map::new();
        if !options.javascript {
            prefs.insert("profile.managed_default_content_settings.javascript".into(), json!(2));
        }
        let mut caps = Capabilities::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"binary": chromium, "args": args, "prefs": prefs}),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let client = loop {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(error) if tokio::time::Instant::now() < deadline => {
                    tracing::debug!(%error, "chromedriver not ready yet");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(error) => bail!("chromedriver did not start a session: {error}"),
            }
        };
        let browser = Browser {
            client,
            driver_url: url,
            driver,
            _profile: profile,
        };
        // Emulated explicitly in both cases: the machine's own setting must not decide.
        browser
            .devtools(
                "Emulation.setEmulatedMedia",
                json!({"features": [{"name": "prefers-color-scheme", "value": options.color_scheme.as_css()}]}),
            )
            .await
            .context("emulating the colour scheme")?;
        Ok(browser)
    }

    /// Sends one Chrome DevTools Protocol command to the session's page through chromedriver
    /// (`goog/cdp/execute`); its settings last for the session, across navigations.
    pub async fn devtools(&self, command: &str, params: serde_json::Value) -> anyhow::Result<serde_json::Value> {
        let session = self
            .client
            .session_id()
            .await?
            .context("the WebDriver session has no id")?;
        let response = reqwest::Client::new()
            .post(format!("{}/session/{session}/goog/cdp/execute", self.driver_url))
            .json(&json!({"cmd": command, "params": params}))
            .send()
            .await?;
        let status = response.status();
        let body: serde_json::Value = response.json().await?;
        if !status.is_success() {
            bail!("DevTools {command} failed ({status}): {body}");
        }
        Ok(body["value"].clone())
    }

    /// Ends the session and the driver.
    pub async fn close(mut self) -> anyhow::Result<()> {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
        Ok(())
    }
}

/// A temporary directory removed on drop (no extra crate for one use).
struct TempDir {
    path: std::path::PathBuf,
}

impl TempDir {
    fn new(prefix: &str) -> anyhow::Result<Self> {
        let path = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path)?;
        Ok(TempDir { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
