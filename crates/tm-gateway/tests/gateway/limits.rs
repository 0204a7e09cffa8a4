//! The socket-level policies of docs/protocol.md: foreign origins and oversized frames get 1008,
//! text that is not UTF-8 gets 1007, a client too slow to read its room's traffic gets 1013;
//! before the upgrade, the global and per-address limits answer 503 and 429.

use tm_core::Role;
use tm_testkit::{unique_prefix, wait_until};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::support::{settings, token, Client, Cms, Gateway, Room, PATIENCE};

#[tokio::test]
async fn a_page_from_a_foreign_origin_is_closed_with_1008_and_the_own_site_is_served() {
    let prefix = unique_prefix();
    let (gateway, cms) = (Gateway::spawn(&prefix).await, Cms::connect(&prefix).await);

    let mut foreign = Client::connect_from(&gateway, Some("https://evil.example")).await;
    let mut own = Client::connect_from(&gateway, Some("http://localhost:8080")).await;

    assert_eq!(foreign.close_code().await, Some(CloseCode::Policy));
    own.send(serde_json::json!({"type": "ping"})).await;
    assert_eq!(own.next_frame().await, serde_json::json!({"type": "pong"}));
    gateway.stop().await;
    cms.clean_up().await;
}

#[tokio::test]
async fn past_the_connection_limit_upgrades_get_503_so_the_balancer_tries_elsewhere() {
    let prefix = unique_prefix();
    let mut config = settings(&prefix);
    config.http.max_connections = 1;
    let (gateway, cms) = (Gateway::spawn_with(config).await, Cms::connect(&prefix).await);
    let _first = Client::connect(&gateway).await;

    let second = tokio_tungstenite::connect_async(gateway.ws_url()).await;

    match second {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 503)
        }
        other => panic!("expected HTTP 503, got {other:?}"),
    }
    gateway.stop().await;
    cms.clean_up().await;
}

#[tokio::test]
async fn an_oversized_frame_is_closed_with_1008() {
    let prefix = unique_prefix();
    let mut config = settings(&prefix);
    config.ws.max_message_bytes = 1024;
    let (gateway, cms) = (Gateway::spawn_with(config).await, Cms::connect(&prefix).await);
    let mut ada = Client::connect(&gateway).await;

    ada.send_raw(Message::text("x".repeat(4096))).await;

    assert_eq!(ada.close_code().await, Some(CloseCode::Policy));
    gateway.stop().await;
    cms.clean_up().await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_closed_with_1013_and_others_keep_up() {
    let prefix = unique_prefix();
    let mut config = settings(&prefix);
    config.ws.outbound_frames = 4;
    let (gateway, cms) = (Gateway::spawn_with(config).await, Cms::connect(&prefix).await);
    let room = Room::new("physics");
    let token = token(&room, Role::Participant, 280);
    let mut stalled = Client::connect_with_small_window(&gateway).await;
    stalled.join(&token, Some(0)).await;

    // Large events fill the socket buffers quickly; the stalled client reads nothing meanwhile.
    let big = "x".repeat(16 * 1024);
    let mut seq = 0;
    while gateway.ctx.metrics.slow_clients_closed.get() == 0 {
        seq += 1;
        assert!(seq < 2_000, "the stalled client was never cut off");
        cms.message(&room, seq, &big).await;
    }

    assert_eq!(stalled.close_code().await, Some(CloseCode::Again));
    let mut fresh = Client::connect(&gateway).await;
    assert_eq!(fresh.join(&token, Some(seq)).await["type"], "joined");
    cms.message(&room, seq + 1, "still live").await;
    assert_eq!(fresh.event_seqs(1).await, [seq + 1]);
    wait_until(PATIENCE, "the stalled socket is gone", || {
        gateway.ctx.metrics.connections.get() == 1
    })
    .await;
    gateway.stop().await;
    cms.clean_up().await;
}

#[tokio::test]
async fn a_silent_client_is_pinged_then_closed_as_idle_while_a_talking_one_stays() {
    let prefix = unique_prefix();
    let mut config = settings(&prefix);
    config.ws.ping_secs = 1;
    config.ws.idle_secs = 2;
    let (gateway, cms) = (Gateway::spawn_with(config).await, Cms::connect(&prefix).await);
    let mut talking = Client::connect(&gateway).await;
    // A client library would answer pings as soon as it reads; this one reads nothing at all
    // until the end, so it never answers.
    let mut silent = RawSocket::upgrade(&gateway).await;

    // Well past the idle timeout, one client keeps talking while the other stays silent.
    let until = tokio::time::Instant::now() + std::time::Duration::from_secs(4);
    while tokio::time::Instant::now() < until {
        talking.send(serde_json::json!({"type": "ping"})).await;
        assert_eq!(talking.next_frame().await, serde_json::json!({"type": "pong"}));
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    }

    let frames = silent.frames_until_closed().await;
    let pings = frames.iter().filter(|(opcode, _)| *opcode == 0x9).count();
    assert!(pings >= 1, "the gateway pings a quiet client: {frames:?}");
    assert!(
        pings < 10,
        "still pinging after {pings} s: the idle timeout never closed the socket"
    );
    let close = frames
        .iter()
        .find(|(opcode, _)| *opcode == 0x8)
        .map(|(_, payload)| payload);
    let mut expected = 1001u16.to_be_bytes().to_vec();
    expected.extend_from_slice(b"idle");
    assert_eq!(close, Some(&expected), "closed as idle with 1001: {frames:?}");
    talking.send(serde_json::json!({"type": "ping"})).await;
    assert_eq!(
        talking.next_frame().await,
        serde_json::json!({"type": "pong"}),
        "the talking client stays"
    );
    gateway.stop().await;
    cms.clean_up().await;
}

/// Opens `/ws` from source address `source`, with extra request headers; the HTTP status of a
/// refusal, or the open socket.
async fn open_from(
    gateway: &Gateway,
    source: [u8; 4],
    headers: &[(&'static str, &str)],
) -> Result<WebSocketStream<MaybeTlsStream<TcpStream>>, u16> {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind((source, 0).into()).unwrap();
    let stream = socket.connect(([127, 0, 0, 1], gateway.port).into()).await.unwrap();
    let mut request = gateway.ws_url().into_client_request().unwrap();
    for (name, value) in headers {
        request
            .headers_mut()
            .insert(*name, HeaderValue::from_str(value).unwrap());
    }
    match tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream)).await {
        Ok((ws, _)) => Ok(ws),
        Err(WsError::Http(response)) => Err(response.status().as_u16()),
        Err(other) => panic!("expected an upgrade or an HTTP refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn one_address_gets_at_most_its_quota_of_sockets_with_429_beyond() {
    let prefix = unique_prefix();
    let mut config = settings(&prefix);
    config.http.max_connections_per_ip = 2;
    config.http.trusted_proxies = vec![];
    let (gateway, cms) = (Gateway::spawn_with(config).await, Cms::connect(&prefix).await);
    let home: std::net::IpAddr = [127, 0, 0, 1].into();

    let first = open_from(&gateway, [127, 0, 0, 1], &[]).await.unwrap();
    let _second = open_from(&gateway, [127, 0, 0, 1], &[]).await.unwrap();
    assert_eq!(open_from(&gateway, [127, 0, 0, 1], &[]).await.err(), Some(429));
    // Not behind a trusted proxy, X-Real-IP is a client's claim and changes nothing.
    let forged = open_from(&gateway, [127, 0, 0, 1], &[("X-Real-IP", "203.0.113.9")]).await;
    assert_eq!(forged.err(), Some(429));
    assert!(
        open_from(&gateway, [127, 0, 0, 2], &[]).await.is_ok(),
        "another address has its own quota"
    );

    drop(first);
    wait_until(PATIENCE, "the closed socket's slot is free again", || {
        gateway.ctx.per_address.open_for(home) == 1
    })
    .await;
    assert!(open_from(&gateway, [127, 0, 0, 1], &[]).await.is_ok());
    gateway.stop().await;
    cms.clean_up().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_quota_counts_the_real_client_address() {
    let prefix = unique_prefix();
    let mut config = settings(&prefix);
    config.http.max_connections_per_ip = 1;
    config.http.trusted_proxies = vec![[127, 0, 0, 1].into()];
    let (gateway, cms) = (Gateway::spawn_with(config).await, Cms::connect(&prefix).await);
    let alice = [("X-Real-IP", "203.0.113.1")];
    let bob = [("X-Real-IP", "203.0.113.2")];

    let _alice = open_from(&gateway, [127, 0, 0, 1], &alice).await.unwrap();
    assert_eq!(open_from(&gateway, [127, 0, 0, 1], &alice).await.err(), Some(429));
    assert!(
        open_from(&gateway, [127, 0, 0, 1], &bob).await.is_ok(),
        "same proxy, other client"
    );
    gateway.stop().await;
    cms.clean_up().await;
}

#[tokio::test]
async fn a_text_frame_that_is_not_utf8_is_closed_with_1007() {
    let prefix = unique_prefix();
    let (gateway, cms) = (Gateway::spawn(&prefix).await, Cms::connect(&prefix).await);
    let mut ada = Client::connect(&gateway).await;

    let invalid = Frame::message(vec![b'{', 0xff, 0xfe, b'}'], OpCode::Data(Data::Text), true);
    ada.send_raw(Message::Frame(invalid)).await;

    assert_eq!(ada.close_code().await, Some(CloseCode::Invalid));
    gateway.stop().await;
    cms.clean_up().await;
}

/// A WebSocket opened by hand on a bare TCP stream, read only when the test says so.
struct RawSocket(TcpStream);

impl RawSocket {
    async fn upgrade(gateway: &Gateway) -> RawSocket {
        let mut stream = TcpStream::connect(("127.0.0.1", gateway.port)).await.unwrap();
        let request = format!(
            "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            gateway.port
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        // Byte by byte up to the blank line, so no frame is read with the response head.
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(stream.read_u8().await.unwrap());
        }
        assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));
        RawSocket(stream)
    }

    /// Every frame the server sent, as (opcode, payload), up to the end of the connection.
    async fn frames_until_closed(&mut self) -> Vec<(u8, Vec<u8>)> {
        let mut bytes = Vec::new();
        tokio::time::timeout(PATIENCE, self.0.read_to_end(&mut bytes))
            .await
            .expect("the gateway ends the connection in time")
            .unwrap();
        let (mut frames, mut rest) = (Vec::new(), bytes.as_slice());
        // Server frames are unmasked; control frames carry under 126 bytes.
        while let [first, len, tail @ ..] = rest {
            let len = usize::from(*len & 0x7f);
            assert!(len < 126 && tail.len() >= len, "unexpected frame in {bytes:?}");
            frames.push((first & 0x0f, tail[..len].to_vec()));
            rest = &tail[len..];
        }
        frames
    }
}
