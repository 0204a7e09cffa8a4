//! A broker outage between the gateway and RabbitMQ (cut through a TCP proxy, never on the
//! shared server): sockets stay open, posts are refused as `unavailable` rather than lost, and
//! after recovery every socket is told to resync so nothing published meanwhile is skipped.

use serde_json::json;
use tm_bus::BusConfig;
use tm_core::Role;
use tm_testkit::{amqp_addr, unique_prefix, wait_until, ChaosProxy};

use crate::support::{settings, token, Client, Cms, Gateway, Room, PATIENCE};

#[tokio::test]
async fn after_a_broker_outage_sockets_resync_and_the_feed_goes_on() {
    let prefix = unique_prefix();
    let proxy = ChaosProxy::start(amqp_addr()).await.unwrap();
    let mut config = settings(&prefix);
    config.bus = BusConfig::for_test_via(&prefix, proxy.addr());
    let (gateway, cms) = (Gateway::spawn_with(config).await, Cms::connect(&prefix).await);
    let room = Room::new("physics");
    let token = token(&room, Role::Participant, 280);
    let mut ada = Client::connect(&gateway).await;
    ada.join(&token, Some(0)).await;
    cms.messages(&room, [1]).await;
    assert_eq!(ada.event_seqs(1).await, [1]);

    proxy.cut();
    wait_until(PATIENCE, "the gateway notices the outage", || !gateway.ctx.is_ready()).await;
    let client_id = ada.post("ada", "anyone there?").await;
    let refused = ada.next_non_presence().await;
    cms.messages(&room, [2]).await; // published while this gateway is cut off
    proxy.restore();

    assert_eq!(
        (&refused["code"], &refused["client_id"]),
        (&json!("unavailable"), &json!(client_id)),
        "{refused}"
    );
    assert_eq!(ada.next_non_presence().await, json!({"type": "reset", "seq": 1}));
    // The page refetches 2 from the CMS, joins again, and the live feed resumes.
    assert_eq!(ada.join(&token, Some(2)).await["type"], "joined");
    cms.messages(&room, [3]).await;
    assert_eq!(ada.event_seqs(1).await, [3]);
    gateway.stop().await;
    cms.clean_up().await;
}
