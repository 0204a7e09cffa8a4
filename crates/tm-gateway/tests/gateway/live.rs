//! Live fan-out: events reach the sockets of their room, in seq order, once.

use serde_json::json;
use tm_core::Role;
use tm_testkit::unique_prefix;

use crate::support::{token, Client, Cms, Gateway, Room};

#[tokio::test]
async fn a_joined_client_receives_the_rooms_messages_live_in_seq_order() {
    let prefix = unique_prefix();
    let (gateway, cms) = (Gateway::spawn(&prefix).await, Cms::connect(&prefix).await);
    let room = Room::new("physics-101");
    let mut ada = Client::connect(&gateway).await;

    let joined = ada.join(&token(&room, Role::Participant, 280), Some(0)).await;
    cms.message(&room, 1, "hello #physics").await;
    cms.messages(&room, [2, 3]).await;

    assert_eq!(joined, json!({"type": "joined", "room": "physics-101", "seq": 0}));
    let first = ada.next_non_presence().await;
    assert_eq!(
        (first["type"].as_str(), first["seq"].as_u64()),
        (Some("event"), Some(1))
    );
    assert_eq!(first["event"], "message.created");
    assert_eq!(first["data"]["body"], "hello #physics");
    assert_eq!(first["data"]["tokens"][1], json!({"type": "hashtag", "tag": "physics"}));
    assert_eq!(ada.event_seqs(2).await, [2, 3]);
    gateway.stop().await;
    cms.clean_up().await;
}

#[tokio::test]
async fn sockets_only_get_their_own_rooms_events_and_duplicates_are_dropped() {
    let prefix = unique_prefix();
    let (gateway, cms) = (Gateway::spawn(&prefix).await, Cms::connect(&prefix).await);
    let (physics, chemistry) = (Room::new("physics"), Room::new("chemistry"));
    let mut ada = Client::connect(&gateway).await;
    let mut bob = Client::connect(&gateway).await;
    ada.join(&token(&physics, Role::Participant, 280), Some(0)).await;
    bob.join(&token(&chemistry, Role::Participant, 280), Some(0)).await;

    cms.messages(&chemistry, [1]).await;
    cms.messages(&physics, [1, 2, 1, 2, 3]).await; // the relay may publish twice after a crash
    cms.messages(&chemistry, [2]).await;
    cms.messages(&physics, [4]).await;

    // One queue keeps publish order: a leaked event would show up before the last one.
    assert_eq!(ada.event_seqs(4).await, [1, 2, 3, 4]);
    assert_eq!(bob.event_seqs(2).await, [1, 2]);
    gateway.stop().await;
    cms.clean_up().await;
}

#[tokio::test]
async fn a_second_socket_in_the_room_gets_the_same_events() {
    let prefix = unique_prefix();
    let (gateway, cms) = (Gateway::spawn(&prefix).await, Cms::connect(&prefix).await);
    let room = Room::new("physics");
    let mut sockets = futures_util::future::join_all((0..3).map(|_| Client::connect(&gateway))).await;
    for socket in &mut sockets {
        socket.join(&token(&room, Role::Participant, 280), Some(0)).await;
    }

    cms.messages(&room, 1..=4).await;

    for socket in &mut sockets {
        assert_eq!(socket.event_seqs(4).await, [1, 2, 3, 4]);
    }
    gateway.stop().await;
    cms.clean_up().await;
}
