//! A whole tm installation for one test: its own database, broker name prefix, ports and
//! processes, with cuttable proxies in front of MariaDB and RabbitMQ.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::{json, Value};
use tm_testkit::{BrokerNode, BrokerNodeOptions, ChaosProxy, NoWebSocketProxy};

use crate::db::TestDatabase;
use crate::live::{Endpoints, LiveClient};
use crate::ports::free_addr;
use crate::services::{Kind, Service};

pub struct System {
    /// Set once this test's broker objects are gone, so `Drop` does not repeat the work.
    cleaned: bool,
    options: Options,
    pub db: TestDatabase,
    pub db_proxy: ChaosProxy,
    pub broker_proxy: ChaosProxy,
    /// Between the gateways and `broker_proxy`: cutting it isolates the gateways alone, cutting
    /// `broker_proxy` isolates everyone.
    pub gateway_broker_proxy: ChaosProxy,
    /// The private broker node behind `broker_proxy`, with `Topology::private_broker`.
    pub broker: Option<BrokerNode>,
    /// With [`Options::websockets_blocked`]: the proxy in front of gateway 0 that the pages
    /// reach the gateway through.
    pub no_websocket_proxy: Option<NoWebSocketProxy>,
    pub prefix: String,
    /// Shared by the CMS (signer) and the gateways (verifiers) of this test: random, like a
    /// production secret (the public development default is refused outside dev_mode).
    join_secret: String,
    pub cms: Vec<Service>,
    pub gateways: Vec<Service>,
    pub http: reqwest::Client,
}

/// How the installation differs from the scenarios' default.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Keep the CMS's configured join-attempt and room-creation limits (an API fuzzer must
    /// meet them as clients do) instead of the scenarios' relaxed ones. The posting limits are
    /// the configured ones unless [`Topology::raised_posting_limits`].
    pub configured_limits: bool,
    /// `admin.api_token` of the CMS (a bearer that owns every room); none by default.
    pub admin_api_token: Option<String>,
    /// Pages reach gateway 0 through a proxy that refuses WebSocket upgrades and passes plain
    /// HTTP (as a school's proxy may): the CMS hands out the proxy's address as `gateway_url`.
    pub websockets_blocked: bool,
}

/// How many of each service to run, on what, and whether the posting limits are the defaults.
#[derive(Debug, Clone, Copy)]
pub struct Topology {
    pub cms: usize,
    pub gateways: usize,
    /// Lift the posting limits (the CMS's per participant and per address, the gateway's per
    /// address). Off by default: the services run with their shipped limits. A test that turns
    /// it on must say why (typically: it loads the system with posts from the one address a
    /// test has, and the limits have tests of their own).
    pub raised_posting_limits: bool,
    /// Lift only the gateway's per-address post limit, keeping every per-participant limit at
    /// its default: for load from many simulated clients, who in a test all share 127.0.0.1
    /// where real ones would come from many addresses.
    pub one_address_for_many_clients: bool,
    /// A private RabbitMQ node for this test (`System::broker`) that it may kill -9 and
    /// restart, instead of the shared development broker.
    pub private_broker: bool,
}

impl Default for Topology {
    fn default() -> Self {
        Topology {
            cms: 1,
            gateways: 1,
            raised_posting_limits: false,
            one_address_for_many_clients: false,
            private_broker: false,
        }
    }
}

impl Topology {
    /// One of each, posting limits lifted (see [`Topology::raised_posting_limits`]).
    pub fn load_test() -> Self {
        Topology {
            raised_posting_limits: true,
            ..Topology::default()
        }
    }
}

impl System {
    /// An installation whose CMS lets scenarios post and join in bursts from one address.
    pub async fn start(topology: Topology) -> anyhow::Result<System> {
        Self::start_with(topology, Options::default()).await
    }

    pub async fn start_with(topology: Topology, options: Options) -> anyhow::Result<System> {
        let db = TestDatabase::create()?;
        let db_proxy = ChaosProxy::start(tm_testkit::database_addr()).await?;
        let broker = if topology.private_broker {
            Some(BrokerNode::start(BrokerNodeOptions::default()).await?)
        } else {
            None
        };
        let broker_proxy = ChaosProxy::start(
            broker
                .as_ref()
                .map_or_else(tm_testkit::amqp_addr, BrokerNode::amqp_addr),
        )
        .await?;
        let gateway_broker_proxy = ChaosProxy::start(broker_proxy.addr()).await?;
        let prefix = tm_testkit::unique_prefix();
        let cms_addrs = (0..topology.cms)
            .map(|_| free_addr())
            .collect::<anyhow::Result<Vec<_>>>()?;
        let gateway_addrs = (0..topology.gateways)
            .map(|_| free_addr())
            .collect::<anyhow::Result<Vec<_>>>()?;
        let no_websocket_proxy = match options.websockets_blocked {
            true => Some(NoWebSocketProxy::start(gateway_addrs[0]).await?),
            false => None,
        };
        // What the pages are told: the gateways, or the proxy in front of gateway 0.
        let page_gateways: Vec<SocketAddr> = match &no_websocket_proxy {
            Some(proxy) => vec![proxy.addr()],
            None => gateway_addrs.clone(),
        };
        let mut system = System {
            cleaned: false,
            options,
            db,
            db_proxy,
            broker_proxy,
            gateway_broker_proxy,
            broker,
            no_websocket_proxy,
            prefix,
            join_secret: format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple()),
            cms: vec![],
            gateways: vec![],
            http: reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?,
        };
        for (i, addr) in cms_addrs.iter().enumerate() {
            let gateway = page_gateways[i % page_gateways.len().max(1)];
            let cms = system.cms_service(i, *addr, gateway, topology.raised_posting_limits);
            system.cms.push(cms);
        }
        for (i, addr) in gateway_addrs.iter().enumerate() {
            let gateway = system.gateway_service(
                i,
                *addr,
                &cms_addrs,
                topology.raised_posting_limits || topology.one_address_for_many_clients,
            );
            system.gateways.push(gateway);
        }
        for service in system.cms.iter_mut().chain(system.gateways.iter_mut()) {
            service.start().await?;
        }
        Ok(system)
    }

    /// The broker this system uses: its private node or the test broker.
    fn broker_url(&self) -> String {
        self.broker
            .as_ref()
            .map_or_else(tm_testkit::amqp_url, BrokerNode::amqp_url)
    }

    /// The broker through `broker_proxy`, for the services.
    fn amqp_url(&self) -> String {
        tm_testkit::url_via(&self.broker_url(), self.broker_proxy.addr())
    }

    fn cms_service(&self, index: usize, addr: SocketAddr, gateway: SocketAddr, raised_limits: bool) -> Service {
        let gateway_ws = format!("ws://{gateway}/ws");
        let mut settings: Vec<(String, String)> = vec![
            ("HTTP__BIND".into(), addr.to_string()),
            ("HTTP__PUBLIC_URL".into(), format!("http://{addr}")),
            ("HTTP__GATEWAY_URL".into(), gateway_ws),
            ("DATABASE__URL".into(), self.db.url_via(Some(self.db_proxy.addr()))),
            ("DATABASE__POOL_SIZE".into(), "4".into()),
            ("BUS__URL".into(), self.amqp_url()),
            ("BUS__PREFIX".into(), self.prefix.clone()),
            ("JOIN__SECRET".into(), self.join_secret.clone()),
        ];
        if let Some(token) = &self.options.admin_api_token {
            settings.push(("ADMIN__API_TOKEN".into(), token.clone()));
        }
        if !self.options.configured_limits {
            // Scenarios join many clients and create many rooms from one address; the
            // password-attempt and room-creation limits have tests of their own.
            settings.extend([
                ("JOIN__ATTEMPTS_PER_MINUTE".into(), "100000".into()),
                ("ROOMS__CREATES_PER_ADDRESS".into(), "100000".into()),
            ]);
        }
        // The posting limits stay the shipped ones unless the topology lifts them (see `Topology`).
        if raised_limits {
            settings.push(("POSTING__PER_MINUTE".into(), "100000".into()));
            settings.push(("POSTING__BURST".into(), "10000".into()));
        }
        Service::new(
            Kind::Cms,
            &format!("cms{index}"),
            self.prefix.trim_end_matches('.'),
            addr,
            settings,
        )
    }

    fn gateway_service(&self, index: usize, addr: SocketAddr, cms: &[SocketAddr], no_address_limit: bool) -> Service {
        let origins = cms.iter().map(|c| format!("http://{c}")).collect::<Vec<_>>().join(",");
        let mut settings = vec![
            ("HTTP__BIND".into(), addr.to_string()),
            ("HTTP__ALLOWED_ORIGINS".into(), origins),
            (
                "BUS__URL".into(),
                tm_testkit::url_via(&self.broker_url(), self.gateway_broker_proxy.addr()),
            ),
            ("BUS__PREFIX".into(), self.prefix.clone()),
            ("TOKENS__SECRET".into(), self.join_secret.clone()),
        ];
        if no_address_limit {
            settings.push(("WS__POSTS_PER_ADDRESS_PER_MINUTE".into(), "0".into()));
        }
        Service::new(
            Kind::Gateway,
            &format!("gateway{index}"),
            self.prefix.trim_end_matches('.'),
            addr,
            settings,
        )
    }

    /// A tm-ingest reading the fake Twitter at `twitter_base_url`, with its own state folder.
    /// Not started: call `start()`.
    pub fn ingest_service(&self, twitter_base_url: &str, state_dir: &std::path::Path) -> anyhow::Result<Service> {
        let addr = free_addr()?;
        let settings = vec![
            ("HTTP__BIND".into(), addr.to_string()),
            ("BUS__URL".into(), self.amqp_url()),
            ("BUS__PREFIX".into(), self.prefix.clone()),
            ("TWITTER__BEARER_TOKEN".into(), tm_testkit::fake_twitter::TOKEN.into()),
            ("TWITTER__BASE_URL".into(), twitter_base_url.to_owned()),
            ("STATE__DIR".into(), state_dir.display().to_string()),
        ];
        Ok(Service::new(
            Kind::Ingest,
            "ingest0",
            self.prefix.trim_end_matches('.'),
            addr,
            settings,
        ))
    }

    /// A bus on this system's prefix (through no proxy), to look at its queues.
    pub async fn inspect_bus(&self) -> anyhow::Result<tm_bus::Bus> {
        // Straight to the broker, not through the proxies a scenario may be cutting.
        let cfg = tm_bus::BusConfig {
            url: self.broker_url(),
            ..tm_bus::BusConfig::for_test(&self.prefix)
        };
        Ok(tokio::time::timeout(
            std::time::Duration::from_secs(30),
            tm_bus::Bus::connect(&cfg, "e2e-inspect"),
        )
        .await??)
    }

    /// What a failed delivery scenario needs to be understood: the depth of the CMS's command
    /// queues and their dead-letter queues, and the warnings and errors of every CMS's log.
    pub async fn delivery_diagnostics(&self) -> String {
        let mut report = String::new();
        match self.inspect_bus().await {
            Ok(bus) => {
                for queue in [tm_bus::CommandQueue::CmsPosts, tm_bus::CommandQueue::CmsIngest] {
                    let ready = bus.queue_depth(queue).await;
                    let dead = bus.dead_letter_depth(queue).await;
                    report.push_str(&format!("{}: ready {ready:?}, dead-lettered {dead:?}\n", queue.name()));
                }
                bus.close().await;
            }
            Err(err) => report.push_str(&format!("cannot inspect the broker: {err}\n")),
        }
        for cms in &self.cms {
            let log = std::fs::read_to_string(cms.log_path()).unwrap_or_default();
            let notable: Vec<&str> = log
                .lines()
                .filter(|line| line.contains("WARN") || line.contains("ERROR"))
                .filter(|line| {
                    !line.contains("relay: publish not confirmed") && !line.contains("cannot reach the broker")
                })
                .collect();
            report.push_str(&format!(
                "{} ({} warnings/errors, last 40):\n{}\n",
                cms.log_path().display(),
                notable.len(),
                notable[notable.len().saturating_sub(40)..].join("\n")
            ));
        }
        report
    }

    /// The join secret this system's CMS and gateways share (for a CLI run against its database).
    pub fn join_secret(&self) -> &str {
        &self.join_secret
    }

    /// A tm-ingest with only the Bluesky source, reading the fake Jetstream at `endpoint`, with
    /// its own state folder. Not started: call `start()`.
    pub fn bluesky_ingest_service(&self, endpoint: &str, state_dir: &std::path::Path) -> anyhow::Result<Service> {
        let addr = free_addr()?;
        let settings = vec![
            ("HTTP__BIND".into(), addr.to_string()),
            ("BUS__URL".into(), self.amqp_url()),
            ("BUS__PREFIX".into(), self.prefix.clone()),
            ("BLUESKY__ENDPOINTS".into(), endpoint.to_owned()),
            ("BLUESKY__CURSOR_SAVE_MS".into(), "200".into()),
            ("STATE__DIR".into(), state_dir.display().to_string()),
        ];
        Ok(Service::new(
            Kind::Ingest,
            "ingest-bluesky",
            self.prefix.trim_end_matches('.'),
            addr,
            settings,
        ))
    }

    pub fn cms_url(&self, index: usize) -> String {
        format!("http://{}", self.cms[index].http_addr)
    }

    pub fn gateway_ws(&self, index: usize) -> String {
        format!("ws://{}/ws", self.gateways[index].http_addr)
    }

    pub fn endpoints(&self, slug: &str, gateway: usize) -> Endpoints {
        Endpoints {
            cms: self.cms_url(0),
            gateway_ws: self.gateway_ws(gateway),
            slug: slug.to_owned(),
        }
    }

    /// Creates a room over the JSON API; returns the answer (with `owner_token`).
    pub async fn create_room(&self, slug: &str) -> anyhow::Result<Value> {
        self.create_room_following(slug, &[]).await
    }

    /// Creates a room that follows `hashtags`.
    pub async fn create_room_following(&self, slug: &str, hashtags: &[&str]) -> anyhow::Result<Value> {
        let response = self
            .http
            .post(format!("{}/api/v1/rooms", self.cms_url(0)))
            .json(&json!({"name": slug, "lifetime": "1d", "topic": format!("e2e {slug}"), "hashtags": hashtags}))
            .send()
            .await?;
        if response.status().as_u16() != 201 {
            bail!("create {slug}: {} {}", response.status(), response.text().await?);
        }
        Ok(response.json().await?)
    }

    /// Posts over HTTP (synchronous persistence); returns the stored message.
    pub async fn post_http(&self, slug: &str, nickname: &str, body: &str) -> anyhow::Result<Value> {
        let response = self
            .http
            .post(format!("{}/api/v1/rooms/{slug}/messages", self.cms_url(0)))
            .json(&json!({"nickname": nickname, "body": body, "client_id": uuid::Uuid::new_v4()}))
            .send()
            .await?;
        if response.status().as_u16() != 201 {
            bail!("post to {slug}: {} {}", response.status(), response.text().await?);
        }
        Ok(response.json().await?)
    }

    /// The room's event log through `/events`, all pages.
    pub async fn events(&self, slug: &str) -> anyhow::Result<Vec<Value>> {
        let mut all = Vec::new();
        let mut after = 0;
        loop {
            let page: Value = self
                .http
                .get(format!(
                    "{}/api/v1/rooms/{slug}/events?after={after}&limit=1000",
                    self.cms_url(0)
                ))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            let events = page["events"].as_array().cloned().context("no events array")?;
            if events.is_empty() {
                return Ok(all);
            }
            after = events
                .last()
                .and_then(|e| e["seq"].as_u64())
                .context("event without seq")?;
            all.extend(events);
        }
    }

    pub async fn join(&self, slug: &str, gateway: usize) -> anyhow::Result<LiveClient> {
        LiveClient::join(self.endpoints(slug, gateway), 0).await
    }

    /// Fails if any service process has exited.
    pub fn assert_all_running(&mut self) -> anyhow::Result<()> {
        for service in self.cms.iter_mut().chain(self.gateways.iter_mut()) {
            if !service.is_running() {
                bail!("{} exited unexpectedly:\n{}", service.name, service.log_tail(40));
            }
        }
        Ok(())
    }

    /// Stops everything and removes this test's broker objects.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        for service in self.gateways.iter_mut().chain(self.cms.iter_mut()) {
            if service.is_running() {
                service.terminate(Duration::from_secs(30)).await?;
            }
        }
        delete_topology(&self.prefix).await;
        self.cleaned = true;
        Ok(())
    }
}

/// Removes every exchange and queue under `prefix` (best effort, bounded in time).
async fn delete_topology(prefix: &str) {
    let cfg = tm_bus::BusConfig::for_test(prefix);
    if let Ok(Ok(bus)) = tokio::time::timeout(Duration::from_secs(10), tm_bus::Bus::connect(&cfg, "e2e-cleanup")).await
    {
        let _ = bus.delete_topology().await;
        bus.close().await;
    }
}

impl Drop for System {
    /// A test that panicked never reached `shutdown`: still leave no queues on the shared
    /// broker (the processes die with their `kill_on_drop` handles, the database with its own
    /// guard). Runs on a thread of its own because `Drop` cannot await.
    fn drop(&mut self) {
        if self.cleaned {
            return;
        }
        let prefix = self.prefix.clone();
        let cleanup = std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                runtime.block_on(delete_topology(&prefix));
            }
        });
        let _ = cleanup.join();
    }
}
