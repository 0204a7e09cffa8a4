//! Resuming: `since` replays what a socket missed; when the gateway cannot vouch for a gap-free
//! feed it says `reset` instead of skipping anything.

use serde_json::json;
use tm_core::Role;
use tm_testkit::unique_prefix;

use crate::support::{settings, token, Client, Cms, Gateway, Room};

#[tokio::test]
async fn a_client_that_reconnects_with_since_gets_what_it_missed_then_live_events() {
    let prefix = unique_prefix();
    let (gateway, cms) = (Gateway::spawn(&prefix).await, Cms::connect(&prefix).await);
    let room = Room::new("physics");
    let token = token(&room, Role::Participant, 280);
    let mut ada = Client::connect(&gateway).await;
    ada.join(&token, Some(0)).await;
    cms.messages(&room, 1..=2).await;
    assert_eq!(ada.event_seqs(2).await, [1, 2]);

    // Bob saw up to 2, dropped off, and comes back after 3..=5 went out.
    let mut bob = Client::connect(&gateway).await;
    cms.messages(&room, 3..=5).await;
    assert_eq!(ada.event_seqs(3).await, [3, 4, 5]);
    let joined = bob.join(&token, Some(2)).await;
    cms.messages(&room, [6]).await;

    assert_eq!(joined, json!({"type": "joined", "room": "physics", "seq": 5}));
    assert_eq!(bob.event_seqs(4).await, [3, 4, 5, 6]);
    gateway.stop().await;
    cms.clean_up().await;
}

#[tokio::test]
async fn a_since_older_than_the_gateways_memory_gets_a_reset() {
    let prefix = unique_prefix();
    let mut config = settings(&prefix);
    config.rooms.replay_events = 3;
    let (gateway, cms) = (Gateway::spawn_with(config).await, Cms::connect(&prefix).await);
    let room = Room::new("physics");
    let token = token(&room, Role::Participant, 280);
    let mut ada = Client::connect(&gateway).await;
    ada.join(&token, Some(0)).await;
    cms.messages(&room, 1..=6).await;
    assert_eq!(ada.event_seqs(6).await, [1, 2, 3, 4, 5, 6]);

    let mut bob = Client::connect(&gateway).await;
    let answer = bob.join(&token, Some(1)).await; // 2 and 3 are no longer held

    assert_eq!(answer, json!({"type": "reset", "seq": 6}));
    // Bob fetched 2..=6 from the CMS and joins again from there.
    assert_eq!(bob.join(&token, Some(6)).await["type"], "joined");
    cms.messages(&room, [7]).await;
    assert_eq!(bob.event_seqs(1).await, [7]);
    gateway.stop().await;
    cms.clean_up().await;
}

#[tokio::test]
async fn a_gap_in_the_feed_resets_the_socket_instead_of_skipping_events() {
    let prefix = unique_prefix();
    let (gateway, cms) = (Gateway::spawn(&prefix).await, Cms::connect(&prefix).await);
    let room = Room::new("physics");
    let token = token(&room, Role::Participant, 280);
    let mut ada = Client::connect(&gateway).await;
    ada.join(&token, Some(0)).await;

    cms.messages(&room, [1, 2, 5]).await; // 3 and 4 never reached this gateway

    assert_eq!(ada.event_seqs(2).await, [1, 2]);
    assert_eq!(ada.next_non_presence().await, json!({"type": "reset", "seq": 5}));
    // After refetching 3..=5 from the CMS the client rejoins and the feed goes on.
    assert_eq!(ada.join(&token, Some(5)).await["type"], "joined");
    cms.messages(&room, [6]).await;
    assert_eq!(ada.event_seqs(1).await, [6]);
    gateway.stop().await;
    cms.clean_up().await;
}

/// Events published while this gateway followed nobody in the room: a client's `since` from
/// before them must not be taken at its word (nothing would ever fill the gap if the room
/// then stays quiet). The gateway asks for the room's head first.
#[tokio::test]
async fn a_room_new_to_the_gateway_checks_since_against_the_rooms_head() {
    let prefix = unique_prefix();
    let (gateway, cms) = (Gateway::spawn(&prefix).await, Cms::connect(&prefix).await);
    let room = Room::new("physics");
    let token = token(&room, Role::Participant, 280);
    cms.messages(&room, 1..=4).await; // no gateway follows the room yet

    let mut bob = Client::connect(&gateway).await;
    assert_eq!(bob.join(&token, Some(2)).await, json!({"type": "reset", "seq": 4}));
    // Bob fetched 3..=4 from the CMS; nothing more is published, and he is current.
    assert_eq!(
        bob.join(&token, Some(4)).await,
        json!({"type": "joined", "room": "physics", "seq": 4})
    );
    cms.messages(&room, [5]).await;
    assert_eq!(bob.event_seqs(1).await, [5]);
    gateway.stop().await;
    cms.clean_up().await;
}
