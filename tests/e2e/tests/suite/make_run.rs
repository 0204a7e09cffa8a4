//! `make run`'s script, as a new user would meet it: it prints a URL, two browser tabs chat
//! live on it, and Ctrl-C stops everything cleanly.

use std::process::Stdio;
use std::time::Duration;

use fantoccini::Locator;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tm_e2e::browser::{Browser, BrowserOptions};
use tm_e2e::ports::free_port;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn make_run_serves_a_room_two_tabs_can_chat_in_and_stops_on_ctrl_c() {
    let repo = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let database = format!("tm_e2e_run_{}", uuid::Uuid::new_v4().simple());
    let prefix = tm_testkit::unique_prefix();
    let mut script = Command::new("bash");
    script
        .arg("scripts/run.sh")
        .current_dir(&repo)
        .env("TM_RUN_NO_BUILD", "1")
        .env("TM_RUN_CMS_PORT", free_port().unwrap().to_string())
        .env("TM_RUN_GATEWAY_PORT", free_port().unwrap().to_string())
        .env("TM_RUN_INGEST_PORT", free_port().unwrap().to_string())
        .env("TM_RUN_DATABASE", &database)
        .env("TM_RUN_BUS_PREFIX", &prefix)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = script.spawn().unwrap();
    let group = Pid::from_raw(child.id().unwrap() as i32);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(180), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("make run: tm is running: open ") {
                return url.to_owned();
            }
        }
        panic!("make run ended without printing its URL");
    })
    .await
    .expect("make run printed no URL within 180 s");

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
        wait_js(tab, "return location.pathname === '/r/first-visit' && document.querySelector('[data-connection]').dataset.kind === 'live'").await;
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

    killpg(group, Signal::SIGINT).unwrap();
    let mut rest = String::new();
    let status = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            rest.push_str(&line);
            rest.push('\n');
        }
        child.wait().await.unwrap()
    })
    .await
    .expect("make run did not stop within 60 s of Ctrl-C");
    assert!(status.success(), "make run exit status {status}");
    assert!(rest.contains("make run: stopped"), "{rest}");
    tm_e2e::db::drop_database(&database).unwrap();
    let cfg = tm_bus::BusConfig {
        prefix,
        ..Default::default()
    };
    if let Ok(bus) = tm_bus::Bus::connect(&cfg, "e2e-cleanup").await {
        let _ = bus.delete_topology().await;
        bus.close().await;
    }
}

async fn wait_js(browser: &Browser, script: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while browser.client.execute(script, vec![]).await.unwrap() != serde_json::json!(true) {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {script}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
