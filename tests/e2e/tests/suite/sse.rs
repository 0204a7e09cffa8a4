//! The server-sent events fallback with the real binaries: a stream resumes across a gateway
//! restart without a gap or a repeat, and a page behind a proxy that refuses WebSockets still
//! goes live in real Chromium, posts over HTTP, and moves back to the WebSocket once it gets
//! through.

use std::time::Duration;

use serde_json::{json, Value};
use tm_e2e::browser::{Browser, BrowserOptions};
use tm_e2e::system::{Options, System, Topology};
use tm_testkit::sse::{SseItem, SseParser};

use crate::browser::{message_bodies, post_through_form, wait_for, wait_live};

const PATIENCE: Duration = Duration::from_secs(30);

/// An event stream read as an `EventSource` reads it, remembering the last id it saw.
struct Stream {
    response: reqwest::Response,
    parser: SseParser,
    pending: std::collections::VecDeque<SseItem>,
    last_event_id: Option<u64>,
}

impl Stream {
    async fn open(url: &str, last_event_id: Option<u64>) -> Stream {
        let mut request = reqwest::Client::new().get(url);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "the stream opens");
        Stream {
            response,
            parser: SseParser::default(),
            pending: Default::default(),
            last_event_id,
        }
    }

    /// The next room event or `reset`, or the end of the stream.
    async fn next(&mut self) -> Next {
        loop {
            while let Some(item) = self.pending.pop_front() {
                match item {
                    SseItem::Event { id: Some(id), data, .. } => {
                        assert_eq!(data["seq"], id, "a room event's id is its seq");
                        self.last_event_id = Some(id);
                        return Next::Event(id);
                    }
                    SseItem::Event { name, data, .. } if name == "reset" => {
                        return Next::Reset(data["seq"].as_u64().unwrap())
                    }
                    _ => {}
                }
            }
            let chunk = match tokio::time::timeout(PATIENCE, self.response.chunk()).await {
                Ok(Ok(Some(chunk))) => chunk,
                Ok(_) => return Next::Ended, // ended, or cut by the restart
                Err(_) => panic!("nothing on the stream within {PATIENCE:?}"),
            };
            self.pending.extend(self.parser.push(&chunk));
        }
    }

    async fn seqs(&mut self, n: usize) -> Vec<u64> {
        let mut seqs = Vec::new();
        while seqs.len() < n {
            match self.next().await {
                Next::Event(seq) => seqs.push(seq),
                other => panic!("expected a room event, got {other:?}"),
            }
        }
        seqs
    }
}

#[derive(Debug)]
enum Next {
    Event(u64),
    Reset(u64),
    Ended,
}

/// The seqs of the room's events after `after` from the CMS's `/events`, as a client that got
/// `reset` fetches them.
async fn catch_up(system: &System, slug: &str, after: u64) -> Vec<u64> {
    let page: Value = system
        .http
        .get(format!(
            "{}/api/v1/rooms/{slug}/events?after={after}",
            system.cms_url(0)
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_stream_resumes_after_a_gateway_restart_with_no_gap_and_no_repeat() {
    let mut system = System::start(Topology::default()).await.unwrap();
    let slug = "e2e-sse-restart";
    system.create_room(slug).await.unwrap();
    let join: Value = system
        .http
        .post(format!("{}/api/v1/rooms/{slug}/join", system.cms_url(0)))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = join["token"].as_str().unwrap();
    // The URL an EventSource keeps for every reconnect; Last-Event-ID carries the progress.
    let gateway = system.gateways[0].http_addr;
    let url = format!("http://{gateway}/sse?token={token}&since=0");
    let mut stream = Stream::open(&url, None).await;
    for n in 0..2 {
        system.post_http(slug, "api", &format!("before {n}")).await.unwrap();
    }
    let before = stream.seqs(2).await;

    system.gateways[0].kill().await.unwrap();
    assert!(
        matches!(stream.next().await, Next::Ended),
        "the stream ends with the gateway"
    );
    for n in 0..3 {
        system.post_http(slug, "api", &format!("while away {n}")).await.unwrap();
    }
    system.gateways[0].start().await.unwrap();

    // The EventSource reconnects with Last-Event-ID. The restarted gateway has no memory of
    // the room, so it answers `reset` with the room's head; the client catches up from the
    // CMS and opens a new stream from there (what live.js does).
    let last = stream.last_event_id.unwrap();
    let mut resumed = Stream::open(&url, Some(last)).await;
    let head = match resumed.next().await {
        Next::Reset(head) => head,
        other => panic!("expected reset from a gateway that restarted, got {other:?}"),
    };
    let fetched = catch_up(&system, slug, last).await;
    assert_eq!(fetched.last(), Some(&head), "the CMS has everything up to the head");
    assert!(
        matches!(resumed.next().await, Next::Ended),
        "the stream ends after reset"
    );
    let since_url = format!("http://{gateway}/sse?token={token}&since={head}");
    let mut live = Stream::open(&since_url, None).await;
    system.post_http(slug, "api", "after").await.unwrap();
    let after = [fetched, live.seqs(1).await].concat();

    let log: Vec<u64> = system
        .events(slug)
        .await
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "message.created")
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(log.len(), 6);
    assert_eq!(after.len(), 4, "the three posted while away, then the one after");
    assert_eq!([before, after].concat(), log, "every event once, in order, none missed");
    system.shutdown().await.unwrap();
}

/// The system behind a proxy that refuses WebSocket upgrades, and a browser live in `slug`.
async fn live_behind_a_proxy_that_blocks_websockets(slug: &str) -> (System, Browser) {
    let options = Options {
        websockets_blocked: true,
        ..Options::default()
    };
    let system = System::start_with(Topology::default(), options).await.unwrap();
    system.create_room(slug).await.unwrap();
    let browser = Browser::start(BrowserOptions::default()).await.unwrap();
    browser
        .client
        .goto(&format!("{}/r/{slug}", system.cms_url(0)))
        .await
        .unwrap();
    wait_live(&browser.client).await;
    (system, browser)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_behind_a_proxy_that_blocks_websockets_goes_live_over_sse_and_posts_over_http() {
    let slug = "browser-sse";
    let (system, browser) = live_behind_a_proxy_that_blocks_websockets(slug).await;
    let client = &browser.client;
    let proxy = system.no_websocket_proxy.as_ref().unwrap();
    assert!(proxy.refused_upgrades() >= 2, "the page tried the WebSocket first");
    assert_eq!(
        open_transports(&system).await,
        (false, true),
        "the page's feed is an event stream"
    );

    system
        .post_http(slug, "Other", "from another participant")
        .await
        .unwrap();
    wait_for(
        client,
        "the other participant's post, live",
        "return [...document.querySelectorAll('li.message .body')].some(e => e.textContent === 'from another participant')",
    )
    .await;
    // A page load (the form's plain post, without script) would lose this mark.
    client.execute("window.tmSameDocument = true", vec![]).await.unwrap();
    post_through_form(client, "Me", "my own post over http").await;
    wait_for(
        client,
        "the own post confirmed by its event",
        "return [...document.querySelectorAll('li.message:not(.pending) .body')].some(e => e.textContent === 'my own post over http')",
    )
    .await;
    let same_document = client
        .execute("return window.tmSameDocument === true", vec![])
        .await
        .unwrap();
    assert_eq!(
        same_document,
        json!(true),
        "posted by the script over HTTP, not by the plain form"
    );
    let mut bodies = message_bodies(client).await;
    bodies.reverse();
    assert_eq!(bodies, ["from another participant", "my own post over http"]);
    let stored = system.events(slug).await.unwrap();
    assert!(
        stored
            .iter()
            .any(|e| e["data"]["body"] == "my own post over http" && e["data"]["nickname"] == "Me"),
        "the post is stored: {stored:?}"
    );
    browser.close().await.unwrap();
    system.shutdown().await.unwrap();
}

/// The page on server-sent events tries the WebSocket again (every minute) and moves back to
/// it once it gets through, without losing or repeating a message on the way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_on_sse_moves_back_to_the_websocket_once_it_gets_through() {
    let slug = "browser-sse-back";
    let (system, browser) = live_behind_a_proxy_that_blocks_websockets(slug).await;
    let client = &browser.client;
    assert_eq!(
        open_transports(&system).await,
        (false, true),
        "on server-sent events first"
    );
    system.post_http(slug, "Other", "while on sse").await.unwrap();

    system.no_websocket_proxy.as_ref().unwrap().allow_websockets();
    // The page retries the WebSocket a minute after its stream joined.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while open_transports(&system).await != (true, false) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the page never moved back to the WebSocket"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    system.post_http(slug, "Other", "back on the websocket").await.unwrap();
    wait_for(
        client,
        "the post over the WebSocket",
        "return [...document.querySelectorAll('li.message .body')].some(e => e.textContent === 'back on the websocket')",
    )
    .await;
    let mut bodies = message_bodies(client).await;
    bodies.reverse();
    assert_eq!(
        bodies,
        ["while on sse", "back on the websocket"],
        "nothing lost or repeated"
    );
    browser.close().await.unwrap();
    system.shutdown().await.unwrap();
}

/// Whether the first gateway holds exactly one WebSocket and exactly one event stream (the
/// one page of these tests), from its Prometheus text.
async fn open_transports(system: &System) -> (bool, bool) {
    let url = format!("http://{}/metrics", system.gateways[0].http_addr);
    let metrics = system.http.get(url).send().await.unwrap().text().await.unwrap();
    let open = |transport: &str| {
        metrics.contains(&format!(
            "tm_gateway_connections_by_transport{{transport=\"{transport}\"}} 1"
        ))
    };
    (open("ws"), open("sse"))
}
