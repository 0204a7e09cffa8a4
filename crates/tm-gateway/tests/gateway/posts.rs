//! Posting over the socket: a post becomes a confirmed `post.submit` command and the client hears
//! `accepted`; what the gateway can refuse alone it refuses with a precise error.

use serde_json::json;
use tm_core::event::RoomState;
use tm_core::Role;
use tm_testkit::unique_prefix;

use crate::support::{token, Client, Cms, Gateway, Room};

#[tokio::test]
async fn a_post_is_queued_for_the_cms_and_acknowledged_as_accepted() {
    let prefix = unique_prefix();
    let (gateway, mut cms) = (Gateway::spawn(&prefix).await, Cms::connect(&prefix).await);
    let room = Room::new("physics");
    let mut ada = Client::connect(&gateway).await;
    ada.join(&token(&room, Role::Participant, 280), Some(0)).await;

    let client_id = ada.post("ada", "  is light a wave?  ").await;

    assert_eq!(
        ada.next_non_presence().await,
        json!({"type": "accepted", "client_id": client_id})
    );
    let post = cms.next_post().await;
    assert_eq!((post.room_id, post.client_id), (room.id, client_id));
    assert_eq!(
        (post.nickname.as_str(), post.body.as_str()),
        ("ada", "is light a wave?")
    );
    assert_eq!(
        post.participant_id,
        format!("participant-{}", room.id),
        "from the join token"
    );
    gateway.stop().await;
    cms.clean_up().await;
}

#[tokio::test]
async fn posts_the_gateway_can_judge_are_refused_without_reaching_the_broker() {
    let prefix = unique_prefix();
    let (gateway, cms) = (Gateway::spawn(&prefix).await, Cms::connect(&prefix).await);
    let room = Room::new("physics");
    let mut ada = Client::connect(&gateway).await;

    let not_joined = ada.post("ada", "hello?").await;
    let error = ada.next_frame().await;
    assert_eq!(
        (&error["code"], &error["client_id"]),
        (&json!("not_joined"), &json!(not_joined))
    );

    ada.join(&token(&room, Role::Participant, 10), Some(0)).await;
    ada.post("ada", "longer than ten characters").await;
    assert_eq!(ada.next_non_presence().await["code"], "body_too_long");
    ada.post("", "hi").await;
    assert_eq!(ada.next_non_presence().await["code"], "invalid_nickname");

    cms.room_state(&room, 1, RoomState::Paused).await;
    assert_eq!(ada.event_seqs(1).await, [1]);
    ada.post("ada", "hi").await;
    assert_eq!(ada.next_non_presence().await["code"], "room_paused");

    assert_eq!(cms.queued_posts().await, 0, "nothing refused was queued");
    gateway.stop().await;
    cms.clean_up().await;
}

#[tokio::test]
async fn a_forged_token_cannot_join() {
    let prefix = unique_prefix();
    let (gateway, cms) = (Gateway::spawn(&prefix).await, Cms::connect(&prefix).await);
    let room = Room::new("physics");
    let mut ada = Client::connect(&gateway).await;
    let genuine = token(&room, Role::Participant, 280);
    let (claims, _signature) = genuine.split_once('.').unwrap();

    let forged = ada.join(&format!("{claims}.AAAA"), None).await;

    assert_eq!(
        (&forged["type"], &forged["code"]),
        (&json!("error"), &json!("invalid_token"))
    );
    ada.post("ada", "hi").await;
    assert_eq!(ada.next_frame().await["code"], "not_joined");
    gateway.stop().await;
    cms.clean_up().await;
}
