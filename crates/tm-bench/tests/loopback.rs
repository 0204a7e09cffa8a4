//! End to end on loopback against a tiny in-process fan-out server with the peers' interface
//! (`/ws?room=R`, `POST /pub?room=R`, `/pubws?room=R`, `GET /stats`): sinks count, probes time,
//! both publishers deliver, pings get pongs, and a whole scenario runs and reports.

// The mini server's helpers are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::{CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, UPGRADE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tm_bench::conn::{Fleet, FleetOpts, ProbeGroup, Role};
use tm_bench::publisher::{HttpPublisher, Publisher, WsPublisher};
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

async fn fan_out_with(publisher: &mut dyn Publisher) {
    let (target, srv) = start().await;
    let mut p: Box<dyn Publisher> = match publisher.name() {
        "http" => Box::new(HttpPublisher::connect(&target).await.unwrap()),
        _ => Box::new(WsPublisher::new(&target)),
    };
    let mut fleet = Fleet::new(
        target.clone(),
        FleetOpts {
            sink_buf: 64,
            ..FleetOpts::default()
        },
    );
    let first = ProbeGroup::new().unwrap();
    let last = ProbeGroup::new().unwrap();
    tm_bench::scenario::open_probed_room(&mut fleet, "a", 30, &first, 2, &last, 2)
        .await
        .unwrap();
    // A subscriber in another room must see nothing.
    fleet.open([("b".to_string(), Role::Sink)]).await.unwrap();
    assert_eq!(fleet.len(), 35);
    let rooms = vec!["a".to_string()];
    p.prepare(&rooms).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (st, _) = tm_bench::scenario::publish_for(p.as_mut(), &rooms, 200.0, 0.1, 300).await;
    assert_eq!(st.sent, 20);
    let got = fleet.wait_frames(20 * 34, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(got, 20 * 34);
    assert_eq!(fleet.frames(), 20 * 34, "room b got nothing");
    let f = first.snapshot().unwrap().summary();
    let l = last.snapshot().unwrap().summary();
    assert_eq!((f.count, l.count), (40, 40));
    assert!(f.max_us < 5_000_000, "{f:?}");
    assert_eq!(first.untimed.load(Ordering::Relaxed), 0);
    // Every subscriber answered its ping.
    assert_eq!(srv.pongs.load(Ordering::Relaxed), 35);
    fleet.close_all(Duration::from_secs(5)).await;
    assert_eq!(fleet.counters.open.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn ws_publisher_sinks_and_probes() {
    let (t, _) = start().await;
    fan_out_with(&mut WsPublisher::new(&t)).await;
}

#[tokio::test]
async fn http_publisher_sinks_and_probes() {
    let (t, _) = start().await;
    fan_out_with(&mut HttpPublisher::connect(&t).await.unwrap()).await;
}

#[tokio::test]
async fn scenario_s2_runs_and_reports() {
    let (target, _) = start().await;
    let common = tm_bench::scenario::Common {
        url: format!("ws://{}/ws", target.addr),
        target_kind: TargetKind::Peer,
        target_name: Some("mini".into()),
        pid: Some(std::process::id()),
        run_id: "test".into(),
        rep: 1,
        publish: tm_bench::publisher::PublishVia::Http,
        join_secret: None,
        amqp_url: String::new(),
        bus_prefix: String::new(),
        connect_concurrency: 16,
        conns_per_src_ip: 20_000,
        sink_buf: 2048,
        connect_timeout: 5.0,
        max_seconds: 60.0,
    };
    let args = tm_bench::scenario::s2::Args {
        common,
        subs: vec![50],
        rates: vec![50.0],
        duration: 0.4,
        warmup: 0.1,
        probes: 4,
        size: 128,
        drain: 2.0,
        settle: 0.1,
        room: "lat".into(),
    };
    let cases = tm_bench::scenario::s2::measure(args).await.unwrap();
    assert_eq!(cases.len(), 1, "one case: 50 subscribers at 50 msg/s");
    let deliveries = cases[0]["deliveries"];
    assert!(deliveries > 0.0, "the scenario delivered nothing: {:?}", cases[0]);
}

#[tokio::test]
async fn refuses_non_101() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let (s, _) = l.accept().await.unwrap();
        let not_found = hyper::service::service_fn(|_req| async {
            let answer = Response::builder()
                .status(StatusCode::NOT_FOUND)
                .body(Full::<Bytes>::default());
            Ok::<_, Infallible>(answer.unwrap())
        });
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(s), not_found)
            .await;
    });
    let opts = tm_bench::handshake::ConnectOpts {
        src: None,
        recv_buf: None,
        timeout: Duration::from_secs(2),
    };
    let e = tm_bench::handshake::connect(addr, "x", "/ws", &opts).await.unwrap_err();
    assert!(e.to_string().contains("404"), "{e}");
}
