//! End to end on loopback against a tiny in-process fan-out server with the peers' interface
//! (`/ws?room=R`, `POST /pub?room=R`, `/pubws?room=R`, `GET /stats`): sinks count, probes time,
//! both publishers deliver, pings get pongs, and a whole scenario runs and reports.

// The mini server's helpers are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tm_bench::conn::{Fleet, FleetOpts, ProbeGroup, Role};
use tm_bench::frame::{encode_frame, Event, FrameReader, OP_PING, OP_TEXT};
use tm_bench::handshake::head_end;
use tm_bench::publisher::{HttpPublisher, Publisher, WsPublisher};
use tm_bench::target::{Target, TargetKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

type Rooms = Arc<Mutex<HashMap<String, Vec<mpsc::UnboundedSender<Vec<u8>>>>>>;

#[derive(Default)]
struct Server {
    rooms: Rooms,
    pongs: AtomicU64,
}

fn fanout(rooms: &Rooms, room: &str, body: &[u8]) {
    let mut f = Vec::new();
    encode_frame(&mut f, OP_TEXT, body, None);
    if let Some(subs) = rooms.lock().unwrap().get_mut(room) {
        subs.retain(|tx| tx.send(f.clone()).is_ok());
    }
}

async fn serve(listener: TcpListener, srv: Arc<Server>) {
    loop {
        let Ok((s, _)) = listener.accept().await else { return };
        tokio::spawn(handle(s, srv.clone()));
    }
}

async fn handle(mut s: TcpStream, srv: Arc<Server>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let end = loop {
            if let Some(e) = head_end(&buf) {
                break e;
            }
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        let line = head.lines().next().unwrap_or_default().to_string();
        let target = line.split(' ').nth(1).unwrap_or("/").to_string();
        let room = target.split("room=").nth(1).unwrap_or("r").to_string();
        buf.drain(..end);
        if line.starts_with("POST /pub") {
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap();
            while buf.len() < len {
                let n = s.read(&mut chunk).await.unwrap();
                buf.extend_from_slice(&chunk[..n]);
            }
            let body: Vec<u8> = buf.drain(..len).collect();
            fanout(&srv.rooms, &room, &body);
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .await
                .unwrap();
            continue;
        }
        if line.starts_with("GET /stats") {
            let n: usize = srv.rooms.lock().unwrap().values().map(Vec::len).sum();
            let body = format!("{{\"conns\":{n},\"rss\":0}}");
            let resp = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len());
            s.write_all(resp.as_bytes()).await.unwrap();
            return;
        }
        s.write_all(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
            .await
            .unwrap();
        let (mut rd, mut wr) = s.into_split();
        let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
        let publisher = target.starts_with("/pubws");
        if !publisher {
            // Every subscriber gets a ping first; the pong is counted below.
            let mut ping = Vec::new();
            encode_frame(&mut ping, OP_PING, b"hi", None);
            tx.send(ping).unwrap();
            srv.rooms.lock().unwrap().entry(room.clone()).or_default().push(tx);
        }
        tokio::spawn(async move {
            while let Some(f) = rx.recv().await {
                if wr.write_all(&f).await.is_err() {
                    return;
                }
            }
        });
        let mut reader = FrameReader::new(true, 1 << 20);
        let mut pending = std::mem::take(&mut buf);
        loop {
            let mut msgs = Vec::new();
            let mut pong = false;
            reader
                .feed(&pending, &mut |e| match e {
                    Event::Message { payload, .. } => msgs.push(payload.to_vec()),
                    Event::Pong => pong = true,
                    _ => {}
                })
                .unwrap();
            if pong {
                srv.pongs.fetch_add(1, Ordering::Relaxed);
            }
            if publisher {
                for m in msgs {
                    fanout(&srv.rooms, &room, &m);
                }
            }
            match rd.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => pending = chunk[..n].to_vec(),
            }
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
        let (mut s, _) = l.accept().await.unwrap();
        let mut b = [0u8; 1024];
        let _ = s.read(&mut b).await;
        s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            .await
            .unwrap();
    });
    let opts = tm_bench::handshake::ConnectOpts {
        src: None,
        recv_buf: None,
        timeout: Duration::from_secs(2),
    };
    let e = tm_bench::handshake::connect(addr, "x", "/ws", &opts).await.unwrap_err();
    assert!(e.to_string().contains("404"), "{e}");
}
