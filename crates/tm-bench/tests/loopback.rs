//! End to end on loopback against a tiny in-process fan-out server with the peers' interface
//! (`/ws?room=R`, `POST /pub?room=R`, `/pubws?room=R`, `GET /stats`): sinks count, probes time,
//! both publishers deliver, pings get pongs, and a whole scenario runs and reports.

// The mini server's helpers are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use clap::Parser as _;
use futures_util::{SinkExt as _, StreamExt as _};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::{CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, UPGRADE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tm_bench::conn::Role;
use tm_bench::handshake::ConnectOpts;
use tm_bench::publisher::Publisher;
use tm_bench::scenario::{publish_for, put_latency, s2, Ctx};
use tm_bench::target::{Target, TargetKind};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role as WsRole;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

type Rooms = Arc<Mutex<HashMap<String, Vec<mpsc::UnboundedSender<Message>>>>>;

#[derive(Default)]
struct Server {
    rooms: Rooms,
    pongs: AtomicU64,
}

fn fanout(rooms: &Rooms, room: &str, body: &[u8]) {
    let text = Message::text(String::from_utf8(body.to_vec()).unwrap());
    if let Some(subs) = rooms.lock().unwrap().get_mut(room) {
        subs.retain(|tx| tx.send(text.clone()).is_ok());
    }
}

async fn serve(listener: TcpListener, srv: Arc<Server>) {
    loop {
        let Ok((s, _)) = listener.accept().await else { return };
        let srv = srv.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(req, srv.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(s), service)
                .with_upgrades()
                .await;
        });
    }
}

async fn handle(req: Request<Incoming>, srv: Arc<Server>) -> Result<Response<Full<Bytes>>, Infallible> {
    let room = req
        .uri()
        .query()
        .and_then(|q| q.strip_prefix("room="))
        .unwrap_or("r")
        .to_string();
    let path = req.uri().path().to_string();
    if req.method() == Method::POST && path == "/pub" {
        let body = req.into_body().collect().await.unwrap().to_bytes();
        fanout(&srv.rooms, &room, &body);
        return Ok(Response::new(Full::from("ok")));
    }
    if path == "/stats" {
        let n: usize = srv.rooms.lock().unwrap().values().map(Vec::len).sum();
        return Ok(Response::new(Full::from(format!("{{\"conns\":{n},\"rss\":0}}"))));
    }
    let accept = derive_accept_key(req.headers()[SEC_WEBSOCKET_KEY].as_bytes());
    tokio::spawn(async move {
        let upgraded = hyper::upgrade::on(req).await.unwrap();
        let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), WsRole::Server, None).await;
        websocket(ws, room, path == "/pubws", &srv).await;
    });
    Ok(Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(UPGRADE, "websocket")
        .header(CONNECTION, "Upgrade")
        .header(SEC_WEBSOCKET_ACCEPT, accept)
        .body(Full::default())
        .unwrap())
}

async fn websocket(
    ws: WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>,
    room: String,
    publisher: bool,
    srv: &Server,
) {
    let (mut wr, mut rd) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    if !publisher {
        // Every subscriber gets a ping first; the pong is counted below.
        tx.send(Message::Ping(Bytes::from_static(b"hi"))).unwrap();
        srv.rooms.lock().unwrap().entry(room.clone()).or_default().push(tx);
    }
    tokio::spawn(async move {
        while let Some(m) = rx.recv().await {
            if wr.send(m).await.is_err() {
                return;
            }
        }
    });
    while let Some(Ok(m)) = rd.next().await {
        match m {
            Message::Pong(_) => {
                srv.pongs.fetch_add(1, Ordering::Relaxed);
            }
            Message::Text(t) if publisher => fanout(&srv.rooms, &room, t.as_bytes()),
            _ => {}
        }
    }
}

async fn start() -> (Target, Arc<Server>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let srv = Arc::new(Server::default());
    tokio::spawn(serve(l, srv.clone()));
    let t = Target::parse(&format!("ws://127.0.0.1:{port}/ws"), TargetKind::Peer, "mini".into()).unwrap();
    (t, srv)
}

#[derive(clap::Parser)]
struct S2 {
    #[command(flatten)]
    args: s2::Args,
}

/// S2's flags: `flags` after `--url` of `target` and this process as the server (`--pid`).
fn s2_args(target: &Target, flags: &str) -> s2::Args {
    let (addr, pid) = (target.endpoint.addr, std::process::id());
    let line = format!("s2 --url ws://{addr}/ws --target-name mini --pid {pid} --run-id test {flags}");
    S2::parse_from(line.split_whitespace()).args
}

async fn fan_out_via(via: &str) {
    let (target, srv) = start().await;
    // A small read buffer, so that frames arrive cut anywhere.
    let ctx = Ctx::new(s2_args(&target, &format!("--publish {via} --sink-buf 64")).common).unwrap();
    let mut room = ctx.probed_room("a", 34, 4).await.unwrap();
    let fleet = &mut room.fleet;
    assert_eq!(matches!(room.publisher, Publisher::Http(_)), via == "http");
    // A subscriber in another room must see nothing.
    fleet.open([("b".to_string(), Role::Sink)]).await.unwrap();
    assert_eq!((fleet.len(), room.failed), (35, 0));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (st, _) = publish_for(&mut room.publisher, &room.rooms, 200.0, 0.1, 300).await;
    assert_eq!(st.sent, 20);
    let got = fleet.wait_frames(20 * 34, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(got, 20 * 34);
    assert_eq!(fleet.frames(), 20 * 34, "room b got nothing");
    let mut m = BTreeMap::new();
    put_latency(&mut m, &room.first, &room.last).unwrap();
    let counts = (m["first_count"], m["last_count"], m["probe_untimed"]);
    assert_eq!(counts, (40.0, 40.0, 0.0), "{m:?}");
    assert!(m["all_max_us"] < 5e6, "{m:?}");
    // Every subscriber answered its ping.
    assert_eq!(srv.pongs.load(Ordering::Relaxed), 35);
    fleet.close_all(Duration::from_secs(5)).await;
    assert_eq!(fleet.counters.open.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn ws_publisher_sinks_and_probes() {
    fan_out_via("ws").await;
}

#[tokio::test]
async fn http_publisher_sinks_and_probes() {
    fan_out_via("http").await;
}

#[tokio::test]
async fn scenario_s2_runs_and_reports() {
    let (target, _) = start().await;
    let flags = "--subs 50 --rates 50 --duration 0.4 --warmup 0.1 --probes 4 --size 128 --drain 2 --settle 0.1 \
                 --publish http --connect-concurrency 16 --conns-per-src-ip 20000 --connect-timeout 5";
    let cases = s2::measure(s2_args(&target, flags)).await.unwrap();
    assert_eq!(cases.len(), 1, "one case: 50 subscribers at 50 msg/s");
    let deliveries = cases[0]["deliveries"];
    assert!(deliveries > 0.0, "the scenario delivered nothing: {:?}", cases[0]);
}

#[tokio::test]
async fn refuses_non_101() {
    // The mini server answers `/stats` with a 200 and no upgrade.
    let (target, _) = start().await;
    let opts = ConnectOpts {
        src: None,
        recv_buf: None,
        timeout: Duration::from_secs(2),
    };
    let e = tm_bench::handshake::connect(&target.endpoint, "/stats", &opts)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("200 OK"), "{e}");
}
