//! Posting over the socket: a post becomes a confirmed `post.submit` command and the client hears
//! `accepted`; what the gateway can refuse alone it refuses with a precise error.

use serde_json::json;
use tm_core::event::{Moderation, PostRejected, PostRejectionCode, RoomState, RoomUpdated};
use tm_core::Role;
use tm_testkit::unique_prefix;

use crate::support::{settings, token, token_for, Client, Cms, Gateway, Room};

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

/// Issue 13: the participant id comes from a cookie the client picks, so a fresh cookie must not
/// be a fresh posting budget. The per-address budget follows the client address.
#[tokio::test]
async fn rotating_the_participant_cookie_does_not_reset_the_per_address_post_budget() {
    let prefix = unique_prefix();
    let mut config = settings(&prefix);
    config.ws.posts_per_address_per_minute = 6; // one every 10 s, so none refills during the test
    config.ws.post_burst_per_address = 3;
    let (gateway, cms) = (Gateway::spawn_with(config).await, Cms::connect(&prefix).await);
    let room = Room::new("physics");

    for (n, cookie) in ["cookie-1", "cookie-2", "cookie-3"].iter().enumerate() {
        let mut client = Client::connect(&gateway).await;
        client
            .join(&token_for(&room, Role::Participant, 280, cookie), Some(0))
            .await;
        let id = client.post("ada", &format!("post {n}")).await;
        assert_eq!(
            client.next_non_presence().await,
            json!({"type": "accepted", "client_id": id})
        );
    }
    let mut rotated = Client::connect(&gateway).await;
    rotated
        .join(&token_for(&room, Role::Participant, 280, "cookie-4"), Some(0))
        .await;
    let refused = rotated.post("ada", "one more with a fresh cookie").await;
    let error = rotated.next_non_presence().await;
    assert_eq!(
        (&error["type"], &error["code"], &error["client_id"]),
        (&json!("error"), &json!("slow_down"), &json!(refused)),
        "{error}"
    );
    assert_eq!(cms.queued_posts().await, 3, "the refused post was not queued");
    gateway.stop().await;
    cms.clean_up().await;
}

/// The owner follows the CMS's rules: a paused room refuses the owner's post before `accepted`
/// (the gateway used to accept it, and the CMS dropped it).
#[tokio::test]
async fn the_owner_cannot_post_into_a_paused_room_either() {
    let prefix = unique_prefix();
    let (gateway, cms) = (Gateway::spawn(&prefix).await, Cms::connect(&prefix).await);
    let room = Room::new("physics");
    let mut owner = Client::connect(&gateway).await;
    owner.join(&token(&room, Role::Owner, 280), Some(0)).await;
    cms.room_state(&room, 1, RoomState::Paused).await;
    assert_eq!(owner.event_seqs(1).await, [1]);

    owner.post("host", "still here?").await;
    assert_eq!(owner.next_non_presence().await["code"], "room_paused");
    assert_eq!(cms.queued_posts().await, 0);
    gateway.stop().await;
    cms.clean_up().await;
}

/// The contract: after `accepted`, a post the CMS refuses reaches its poster as `rejected`, on
/// the socket that posted and on a new one after a reconnect; nobody else hears of it.
#[tokio::test]
async fn a_post_the_cms_rejects_after_accepted_reaches_its_poster_also_after_a_reconnect() {
    let prefix = unique_prefix();
    let (gateway, cms) = (Gateway::spawn(&prefix).await, Cms::connect(&prefix).await);
    let room = Room::new("physics");
    let ada_token = token_for(&room, Role::Participant, 280, "ada-cookie");
    let mut ada = Client::connect(&gateway).await;
    ada.join(&ada_token, Some(0)).await;
    let mut bob = Client::connect(&gateway).await;
    bob.join(&token_for(&room, Role::Participant, 280, "bob-cookie"), Some(0))
        .await;

    let client_id = ada.post("ada", "hello").await;
    assert_eq!(ada.next_non_presence().await["type"], "accepted");
    let refusal = PostRejected {
        room_id: room.id,
        client_id,
        participant_id: "ada-cookie".into(),
        code: PostRejectionCode::Muted,
        message: "you are muted in this room".into(),
    };
    cms.publish(refusal).await;

    let rejected = json!({"type": "rejected", "client_id": client_id, "code": "muted",
                          "message": "you are muted in this room"});
    assert_eq!(ada.next_non_presence().await, rejected);
    // Ada reconnects (her page reloads) and joins with her last seq: she hears it again.
    let mut again = Client::connect(&gateway).await;
    assert_eq!(again.join(&ada_token, Some(0)).await["type"], "joined");
    assert_eq!(again.next_non_presence().await, rejected);
    // And her next post is refused before `accepted`: the gateway knows the mute now.
    again.post("ada", "hello?").await;
    assert_eq!(again.next_non_presence().await["code"], "muted");
    // Bob's socket got nothing but presence.
    bob.send(json!({"type": "ping"})).await;
    assert_eq!(bob.next_non_presence().await, json!({"type": "pong"}));
    gateway.stop().await;
    cms.clean_up().await;
}

/// Slow mode follows the participant, as at the CMS: a second tab (or a reconnect) of the same
/// participant is refused before `accepted`, instead of being accepted and then rejected.
#[tokio::test]
async fn slow_mode_follows_the_participant_across_sockets_like_the_cms() {
    let prefix = unique_prefix();
    let (gateway, cms) = (Gateway::spawn(&prefix).await, Cms::connect(&prefix).await);
    let room = Room::new("physics");
    let ada_token = token_for(&room, Role::Participant, 280, "ada-cookie");
    let mut first_tab = Client::connect(&gateway).await;
    first_tab.join(&ada_token, Some(0)).await;
    cms.publish(RoomUpdated {
        room_id: room.id,
        seq: 1,
        topic: "physics".into(),
        state: RoomState::Open,
        slow_mode_seconds: 60,
        moderation: Moderation::Post,
        reactions: Vec::new(),
    })
    .await;
    assert_eq!(first_tab.event_seqs(1).await, [1]);
    let mut second_tab = Client::connect(&gateway).await;
    second_tab.join(&ada_token, Some(1)).await;
    let mut bob = Client::connect(&gateway).await;
    bob.join(&token_for(&room, Role::Participant, 280, "bob-cookie"), Some(1))
        .await;

    first_tab.post("ada", "first").await;
    assert_eq!(first_tab.next_non_presence().await["type"], "accepted");
    let refused = second_tab.post("ada", "second, from another tab").await;
    let error = second_tab.next_non_presence().await;
    assert_eq!(
        (&error["code"], &error["client_id"]),
        (&json!("slow_down"), &json!(refused))
    );
    bob.post("bob", "someone else").await;
    assert_eq!(
        bob.next_non_presence().await["type"],
        "accepted",
        "slow mode is per participant"
    );
    assert_eq!(cms.queued_posts().await, 2);
    gateway.stop().await;
    cms.clean_up().await;
}
