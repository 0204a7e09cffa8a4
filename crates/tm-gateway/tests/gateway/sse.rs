//! `GET /sse`, the server-sent events fallback: the same room feed as `/ws` (order, replay,
//! `reset`), resumed with `Last-Event-ID`, kept open by heartbeats, and under the same
//! admission policy.

use serde_json::json;
use tm_core::Role;
use tm_testkit::{unique_prefix, wait_until};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

use crate::support::{settings, sse_url, token, Client, Cms, Gateway, Item, Room, SseClient, PATIENCE};

#[tokio::test]
async fn a_stream_carries_the_rooms_events_in_order_as_the_websocket_frames_with_seq_ids() {
    let prefix = unique_prefix();
    let (gateway, cms) = (Gateway::spawn(&prefix).await, Cms::connect(&prefix).await);
    let room = Room::new("physics");
    let token = token(&room, Role::Participant, 280);
    let mut ws = Client::connect(&gateway).await;
    ws.join(&token, Some(0)).await;
    let mut sse = SseClient::open(&gateway, &token, Some(0), None).await;

    assert_eq!(
        sse.next_item().await,
        Some(Item::Retry(3000)),
        "the reconnect hint first"
    );
    assert_eq!(
        sse.next_event().await,
        (
            None,
            "joined".into(),
            json!({"type": "joined", "room": "physics", "seq": 0})
        )
    );
    cms.messages(&room, 1..=3).await;
    assert_eq!(sse.event_seqs(3).await, [1, 2, 3]);
    cms.message(&room, 4, "same bytes").await;
    let (id, name, data) = sse.next_non_presence().await;
    assert_eq!((id, name.as_str()), (Some(4), "message.created"));
    assert_eq!(ws.event_seqs(3).await, [1, 2, 3]);
    assert_eq!(
        data,
        ws.next_non_presence().await,
        "data is the WebSocket's event frame"
    );
    assert_eq!(data["data"]["body"], "same bytes");

    let metrics = reqwest::get(gateway.http_url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("tm_gateway_connections_by_transport{transport=\"sse\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("tm_gateway_connections_by_transport{transport=\"ws\"} 1"),
        "{metrics}"
    );
    // A drain ends the stream (the client reconnects elsewhere with Last-Event-ID).
    gateway.begin_shutdown();
    sse.until_ended().await;
    gateway.stop().await;
    cms.clean_up().await;
}

#[tokio::test]
async fn since_replays_what_was_missed_and_last_event_id_resumes_without_gap_or_repeat() {
    let prefix = unique_prefix();
    let (gateway, cms) = (Gateway::spawn(&prefix).await, Cms::connect(&prefix).await);
    let room = Room::new("physics");
    let token = token(&room, Role::Participant, 280);
    let mut ada = Client::connect(&gateway).await; // keeps the room followed throughout
    ada.join(&token, Some(0)).await;
    cms.messages(&room, 1..=3).await;
    assert_eq!(ada.event_seqs(3).await, [1, 2, 3]);

    let mut first = SseClient::open(&gateway, &token, Some(1), None).await;
    assert_eq!(first.event_seqs(2).await, [2, 3], "replayed from since");
    drop(first);
    cms.messages(&room, 4..=6).await;
    assert_eq!(ada.event_seqs(3).await, [4, 5, 6]);

    // An EventSource reconnects to the URL it was given (since=1) with the last id it saw.
    let mut again = SseClient::open(&gateway, &token, Some(1), Some(3)).await;
    cms.messages(&room, [7]).await;
    assert_eq!(again.event_seqs(4).await, [4, 5, 6, 7]);
    gateway.stop().await;
    cms.clean_up().await;
}

#[tokio::test]
async fn a_resume_point_the_gateway_cannot_vouch_for_gets_reset_and_the_stream_ends() {
    let prefix = unique_prefix();
    let (gateway, cms) = (Gateway::spawn(&prefix).await, Cms::connect(&prefix).await);
    let room = Room::new("physics");
    let token = token(&room, Role::Participant, 280);
    cms.messages(&room, 1..=4).await; // before this gateway followed the room

    let mut behind = SseClient::open(&gateway, &token, Some(2), None).await;
    let rest = behind.until_ended().await;
    assert_eq!(
        rest,
        [
            Item::Retry(3000),
            Item::Event {
                id: None,
                name: "reset".into(),
                data: json!({"type": "reset", "seq": 4})
            }
        ],
        "reset has no id: Last-Event-ID stays the client's own last event"
    );

    // Caught up from the CMS, the client opens a stream from 4; a gap later resets it too.
    let mut current = SseClient::open(&gateway, &token, Some(4), None).await;
    assert_eq!(current.next_event().await.1, "joined");
    cms.messages(&room, [5, 7]).await; // 6 never reached this gateway
    assert_eq!(current.event_seqs(1).await, [5]);
    let (id, name, data) = current.next_non_presence().await;
    assert_eq!(
        (id, name.as_str(), data),
        (None, "reset", json!({"type": "reset", "seq": 7}))
    );
    assert!(current.until_ended().await.is_empty(), "the stream ends after reset");
    gateway.stop().await;
    cms.clean_up().await;
}

#[tokio::test]
async fn a_quiet_stream_gets_heartbeat_comments() {
    let prefix = unique_prefix();
    let mut config = settings(&prefix);
    // Only the interval is shortened (from 15 s) so the test is quick; nothing else differs.
    config.sse.heartbeat_secs = 1;
    let (gateway, cms) = (Gateway::spawn_with(config).await, Cms::connect(&prefix).await);
    let room = Room::new("physics");
    let token = token(&room, Role::Participant, 280);
    let mut sse = SseClient::open(&gateway, &token, None, None).await;

    let mut heartbeats = 0;
    while heartbeats < 2 {
        if let Some(Item::Comment(text)) = sse.next_item().await {
            assert_eq!(text, "heartbeat");
            heartbeats += 1;
        }
    }
    gateway.stop().await;
    cms.clean_up().await;
}

#[tokio::test]
async fn a_bad_token_a_missing_one_and_a_foreign_origin_are_refused_before_the_stream() {
    let prefix = unique_prefix();
    let (gateway, cms) = (Gateway::spawn(&prefix).await, Cms::connect(&prefix).await);
    let room = Room::new("physics");
    let token = token(&room, Role::Participant, 280);
    let http = reqwest::Client::new();
    let status = |url: String, origin: Option<&'static str>| {
        let mut request = http.get(url);
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        async move { request.send().await.unwrap() }
    };

    let forged = format!("{}x", &token[..token.len() - 1]);
    assert_eq!(status(sse_url(&gateway, &forged, Some(0)), None).await.status(), 401);
    assert_eq!(status(gateway.http_url("/sse?since=0"), None).await.status(), 400);
    let foreign = status(sse_url(&gateway, &token, Some(0)), Some("https://evil.example")).await;
    assert_eq!(foreign.status(), 403);
    let own = status(sse_url(&gateway, &token, Some(0)), Some("http://localhost:8080")).await;
    assert_eq!(own.status(), 200);
    assert_eq!(own.headers()["access-control-allow-origin"], "http://localhost:8080");
    let preflight = http
        .request(reqwest::Method::OPTIONS, gateway.http_url("/sse"))
        .header("Origin", "http://localhost:8080")
        .header("Access-Control-Request-Headers", "last-event-id")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert!(preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("last-event-id"));
    drop(own);
    gateway.stop().await;
    cms.clean_up().await;
}

#[tokio::test]
async fn streams_count_against_the_same_address_quota_as_sockets() {
    let prefix = unique_prefix();
    let mut config = settings(&prefix);
    config.http.max_connections_per_ip = 2;
    let (gateway, cms) = (Gateway::spawn_with(config).await, Cms::connect(&prefix).await);
    let room = Room::new("physics");
    let token = token(&room, Role::Participant, 280);
    let _socket = Client::connect(&gateway).await;
    let _stream = SseClient::open(&gateway, &token, None, None).await;

    let third = reqwest::get(sse_url(&gateway, &token, None)).await.unwrap();

    assert_eq!(third.status(), 429);
    gateway.stop().await;
    cms.clean_up().await;
}

#[tokio::test]
async fn a_stream_that_stops_reading_is_ended_and_others_keep_up() {
    let prefix = unique_prefix();
    let mut config = settings(&prefix);
    // As for the WebSocket's test: a short queue fills before the kernel's buffers hide it.
    config.ws.outbound_frames = 4;
    let (gateway, cms) = (Gateway::spawn_with(config).await, Cms::connect(&prefix).await);
    let room = Room::new("physics");
    let token = token(&room, Role::Participant, 280);
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stalled = socket.connect(([127, 0, 0, 1], gateway.port).into()).await.unwrap();
    let request = format!("GET /sse?token={token}&since=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    stalled.write_all(request.as_bytes()).await.unwrap();
    let mut head = [0u8; 12];
    stalled.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    let mut reader = SseClient::open(&gateway, &token, Some(0), None).await;

    let big = "x".repeat(16 * 1024);
    let mut seq = 0;
    while gateway.ctx.metrics.slow_clients_closed.get() == 0 {
        seq += 1;
        assert!(seq < 2_000, "the stalled stream was never cut off");
        cms.message(&room, seq, &big).await;
        assert_eq!(reader.event_seqs(1).await, [seq], "a reading stream keeps up");
    }
    wait_until(PATIENCE, "the stalled stream is gone", || {
        gateway.ctx.metrics.connections.get() == 1
    })
    .await;
    gateway.stop().await;
    cms.clean_up().await;
}
