//! `make run`'s script, as a new user would meet it: it prints a URL, two browser tabs chat
//! live on it, and Ctrl-C stops everything cleanly. It also supervises like systemd: a service
//! that crashes comes back while the others keep serving.

use std::process::Stdio;
use std::time::Duration;

use fantoccini::Locator;
use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;
use tm_e2e::browser::{Browser, BrowserOptions};
use tm_e2e::live::{Endpoints, LiveClient};
use tm_e2e::ports::free_port;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn make_run_serves_a_room_two_tabs_can_chat_in_and_stops_on_ctrl_c() {
    let run = MakeRun::start().await;
    let url = run.url.clone();
    let first = Browser::start(BrowserOptions::default()).await.unwrap();
    let second = Browser::start(BrowserOptions::default()).await.unwrap();
    first.client.goto(&format!("{url}/")).await.unwrap();
    first
        .client
        .find(Locator::Css("input[name=name]"))
        .await
        .unwrap()
        .send_keys("first-visit")
        .await
        .unwrap();
    first
        .client
        .find(Locator::Css("form[action='/rooms'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    second.client.goto(&format!("{url}/r/first-visit")).await.unwrap();
    for tab in [&first, &second] {
        wait_js(tab, "return location.pathname === '/r/first-visit' && document.querySelector('[data-connection]')?.dataset.kind === 'live'").await;
    }
    let form = second.client.find(Locator::Css("form[data-post-form]")).await.unwrap();
    form.find(Locator::Css("input[name=nickname]"))
        .await
        .unwrap()
        .send_keys("Visitor")
        .await
        .unwrap();
    form.find(Locator::Css("textarea"))
        .await
        .unwrap()
        .send_keys("it works")
        .await
        .unwrap();
    form.find(Locator::Css("button")).await.unwrap().click().await.unwrap();
    wait_js(
        &first,
        "return [...document.querySelectorAll('li.message .body')].some(e => e.textContent === 'it works')",
    )
    .await;
    first.close().await.unwrap();
    second.close().await.unwrap();

    run.ctrl_c().await;
}

async fn wait_js(browser: &Browser, script: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while browser.client.execute(script, vec![]).await.unwrap() != serde_json::json!(true) {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {script}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `scripts/run.sh` in its own process group with its own ports, database, bus prefix and log
/// folder; its console lines arrive on `console`.
struct MakeRun {
    child: tokio::process::Child,
    group: Pid,
    console: tokio::sync::mpsc::UnboundedReceiver<String>,
    database: String,
    prefix: String,
    url: String,
    gateway_port: u16,
    /// Each service's pid as the console announced it before the URL.
    first_pids: std::collections::HashMap<String, i32>,
}

impl MakeRun {
    async fn start() -> MakeRun {
        let repo = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let database = format!("tm_e2e_run_{}", uuid::Uuid::new_v4().simple());
        let prefix = tm_testkit::unique_prefix();
        let logs = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/e2e-logs")
            .join(prefix.trim_end_matches('.'));
        let gateway_port = free_port().unwrap();
        let mut child = Command::new("bash")
            .arg("scripts/run.sh")
            .current_dir(&repo)
            .env("TM_RUN_NO_BUILD", "1")
            .env("TM_RUN_CMS_PORT", free_port().unwrap().to_string())
            .env("TM_RUN_GATEWAY_PORT", gateway_port.to_string())
            .env("TM_RUN_INGEST_PORT", free_port().unwrap().to_string())
            .env("TM_RUN_DATABASE", &database)
            .env("TM_RUN_BUS_PREFIX", &prefix)
            .env("TM_RUN_LOG_DIR", &logs)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let group = Pid::from_raw(child.id().unwrap() as i32);
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (tx, mut console) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut first_pids = std::collections::HashMap::new();
        let url = tokio::time::timeout(Duration::from_secs(180), async {
            while let Some(line) = console.recv().await {
                if let Some(url) = line.strip_prefix("make run: tm is running: open ") {
                    return url.to_owned();
                }
                for service in ["tm-cms", "tm-gateway", "tm-ingest"] {
                    if let Some(pid) = started_pid(&line, service) {
                        first_pids.insert(service.to_owned(), pid);
                    }
                }
            }
            panic!("make run ended without printing its URL");
        })
        .await
        .expect("make run printed no URL within 180 s");
        MakeRun {
            child,
            group,
            console,
            database,
            prefix,
            url,
            gateway_port,
            first_pids,
        }
    }

    /// Reads console lines until one satisfies `matches`; returns it.
    async fn console_until(&mut self, what: &str, matches: impl Fn(&str) -> bool) -> String {
        tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = self.console.recv().await {
                if matches(&line) {
                    return line;
                }
            }
            panic!("make run ended before saying {what}");
        })
        .await
        .unwrap_or_else(|_| panic!("make run did not say {what} within 60 s"))
    }

    /// Ctrl-C; asserts a clean stop, then removes the database and broker objects.
    async fn ctrl_c(mut self) {
        killpg(self.group, Signal::SIGINT).unwrap();
        self.console_until("stopped", |l| l == "make run: stopped").await;
        let status = tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .expect("make run did not exit within 60 s of Ctrl-C")
            .unwrap();
        assert!(status.success(), "make run exit status {status}");
        tm_e2e::db::drop_database(&self.database).unwrap();
        let cfg = tm_bus::BusConfig::for_test(&self.prefix);
        if let Ok(bus) = tm_bus::Bus::connect(&cfg, "e2e-cleanup").await {
            let _ = bus.delete_topology().await;
            bus.close().await;
        }
    }
}

/// The pid in a `make run: <service> started (pid N)` line.
fn started_pid(line: &str, service: &str) -> Option<i32> {
    line.strip_prefix(&format!("make run: {service} started (pid "))?
        .strip_suffix(')')?
        .parse()
        .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn make_run_restarts_a_crashed_cms_while_the_gateway_keeps_its_sockets() {
    let mut run = MakeRun::start().await;
    let cms_pid = run.first_pids["tm-cms"];
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let created = http
        .post(format!("{}/api/v1/rooms", run.url))
        .json(&serde_json::json!({"name": "supervised", "lifetime": "1d"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201, "{}", created.text().await.unwrap());
    let live = LiveClient::join(
        Endpoints {
            cms: run.url.clone(),
            gateway_ws: format!("ws://127.0.0.1:{}/ws", run.gateway_port),
            slug: "supervised".into(),
        },
        0,
    )
    .await
    .unwrap();

    kill(Pid::from_raw(cms_pid), Signal::SIGKILL).unwrap();
    let exited = run
        .console_until("that tm-cms exited", |l| l.starts_with("make run: tm-cms exited"))
        .await;
    assert!(exited.contains("restarting it in"), "{exited}");
    // While tm-cms is down (and restarting) the gateway still answers and holds the socket.
    let health = http
        .get(format!("http://127.0.0.1:{}/healthz", run.gateway_port))
        .send()
        .await
        .unwrap();
    assert!(health.status().is_success(), "gateway /healthz: {}", health.status());
    let restarted = run
        .console_until("that tm-cms started again", |l| started_pid(l, "tm-cms").is_some())
        .await;
    let new_pid = started_pid(&restarted, "tm-cms").unwrap();
    assert_ne!(new_pid, cms_pid, "{restarted}");

    // The restarted CMS serves, and what it stores reaches the socket opened before the crash.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let posted = http
            .post(format!("{}/api/v1/rooms/supervised/messages", run.url))
            .json(&serde_json::json!({"nickname": "Ada", "body": "after the crash", "client_id": uuid::Uuid::new_v4()}))
            .send()
            .await;
        if posted.as_ref().is_ok_and(|r| r.status().as_u16() == 201) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the restarted tm-cms never took a post: {posted:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    live.wait_until(Duration::from_secs(30), "the post after the crash", |o| {
        o.events.iter().any(|e| e.data["body"] == "after the crash")
    })
    .await
    .unwrap();
    let (reconnects, closes) = live.snapshot(|o| (o.reconnects, o.close_codes.clone()));
    assert_eq!(
        (reconnects, closes),
        (0, vec![]),
        "the browser socket to the gateway was dropped"
    );
    drop(live);
    run.ctrl_c().await;
}
