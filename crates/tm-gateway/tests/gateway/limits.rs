//! The socket-level policies of PROTOCOL.md: foreign origins and oversized frames get 1008, a
//! client too slow to read its room's traffic gets 1013.

use tm_core::Role;
use tm_testkit::{unique_prefix, wait_until};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

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
    let mut silent = Client::connect(&gateway).await;

    // Well past the idle timeout, one client keeps talking; the other reads nothing, so it
    // never answers the gateway's pings.
    let until = tokio::time::Instant::now() + std::time::Duration::from_secs(4);
    while tokio::time::Instant::now() < until {
        talking.send(serde_json::json!({"type": "ping"})).await;
        assert_eq!(talking.next_frame().await, serde_json::json!({"type": "pong"}));
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    }

    let (mut pings, mut close) = (0, None);
    while close.is_none() {
        match silent.next_raw().await {
            Some(Message::Ping(_)) => {
                pings += 1;
                assert!(
                    pings < 10,
                    "still pinging after {pings} s: the idle timeout never closed the socket"
                );
            }
            Some(Message::Close(frame)) => close = Some(frame.map(|f| (f.code, f.reason.to_string()))),
            Some(_) => {}
            None => break,
        }
    }
    assert!(pings >= 1, "the gateway pings a quiet client");
    assert_eq!(
        close,
        Some(Some((CloseCode::Away, "idle".to_owned()))),
        "closed as idle with 1001"
    );
    talking.send(serde_json::json!({"type": "ping"})).await;
    assert_eq!(
        talking.next_frame().await,
        serde_json::json!({"type": "pong"}),
        "the talking client stays"
    );
    gateway.stop().await;
    cms.clean_up().await;
}
