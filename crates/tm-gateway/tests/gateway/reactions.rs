//! Live reactions: counted per room, broadcast at most once a second, added up across
//! gateways; emoji outside the room's set and floods are refused.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;
use tm_core::event::{Moderation, RoomState, RoomUpdated};
use tm_core::{JoinClaims, Role};
use tm_testkit::unique_prefix;

use crate::support::{token, Client, Cms, Gateway, Room, SECRET};

/// Long enough for two aggregation windows and a bus round trip on a loaded machine.
const SETTLE: Duration = Duration::from_millis(3500);

/// A token as tm-cms signs it for a room whose owner chose `emoji`.
fn token_offering(room: &Room, participant: &str, emoji: &[&str]) -> String {
    JoinClaims {
        room_id: room.id,
        slug: room.slug.clone(),
        role: Role::Participant,
        participant_id: participant.to_owned(),
        max_length: 280,
        exp: time::OffsetDateTime::now_utc().unix_timestamp() + 600,
        reactions: emoji.iter().map(|e| (*e).to_owned()).collect(),
    }
    .sign(SECRET.as_bytes())
    .unwrap()
}

fn of_type<'a>(frames: &'a [(Instant, Value)], kind: &str) -> Vec<&'a (Instant, Value)> {
    frames.iter().filter(|(_, f)| f["type"] == kind).collect()
}

/// The counts of every `reactions` frame added up.
fn summed(frames: &[(Instant, Value)]) -> BTreeMap<String, u64> {
    let mut sum = BTreeMap::new();
    for (_, frame) in of_type(frames, "reactions") {
        assert!(frame.get("seq").is_none(), "reactions are not sequenced: {frame}");
        for (emoji, count) in frame["counts"].as_object().unwrap() {
            *sum.entry(emoji.clone()).or_default() += count.as_u64().unwrap();
        }
    }
    sum
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(e, n)| ((*e).to_owned(), *n)).collect()
}

fn error_codes(frames: &[(Instant, Value)]) -> Vec<String> {
    of_type(frames, "error")
        .iter()
        .map(|(_, f)| f["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn reactions_are_aggregated_into_at_most_one_frame_a_second_for_everyone_in_the_room() {
    let prefix = unique_prefix();
    let gateway = Gateway::spawn(&prefix).await;
    let room = Room::new("physics");
    let token = token(&room, Role::Participant, 280);
    let (mut ada, mut bob, mut projector) = (
        Client::connect(&gateway).await,
        Client::connect(&gateway).await,
        Client::connect(&gateway).await,
    );
    for client in [&mut ada, &mut bob, &mut projector] {
        assert_eq!(client.join(&token, None).await["type"], "joined");
    }

    for _ in 0..3 {
        ada.react("👍").await;
        bob.react("👍").await;
    }
    bob.react("❤️").await;
    let frames = projector.frames_for(SETTLE).await;

    assert_eq!(summed(&frames), counts(&[("👍", 6), ("❤️", 1)]));
    let reactions = of_type(&frames, "reactions");
    assert!(
        reactions.len() <= 2,
        "7 reactions sent within a moment arrive in one window (two if a tick fell between them), not one frame each: {reactions:?}"
    );
    for pair in reactions.windows(2) {
        let gap = pair[1].0.duration_since(pair[0].0);
        assert!(gap >= Duration::from_millis(800), "two frames {gap:?} apart");
    }
    assert!(error_codes(&frames).is_empty());
    let quiet = projector.frames_for(Duration::from_millis(1500)).await;
    assert!(
        of_type(&quiet, "reactions").is_empty(),
        "no reactions, no frame: {quiet:?}"
    );
    gateway.stop().await;
}

#[tokio::test]
async fn an_emoji_outside_the_rooms_set_is_refused_and_the_owners_set_is_learned() {
    let prefix = unique_prefix();
    let cms = Cms::connect(&prefix).await;
    let gateway = Gateway::spawn(&prefix).await;
    let room = Room::new("physics");
    let mut ada = Client::connect(&gateway).await;
    ada.react("👍").await;
    assert_eq!(ada.next_non_presence().await["code"], "not_joined");

    // An old token (no set): the default set applies.
    ada.join(&token(&room, Role::Participant, 280), None).await;
    ada.react("🎉").await;
    let refused = ada.next_non_presence().await;
    assert_eq!(
        (refused["type"].as_str(), refused["code"].as_str()),
        (Some("error"), Some("invalid_reaction"))
    );
    ada.react("not an emoji").await;
    assert_eq!(ada.next_non_presence().await["code"], "invalid_reaction");

    // A token signed with the owner's set teaches it to the gateway.
    let mut bob = Client::connect(&gateway).await;
    bob.join(&token_offering(&room, "bob", &["🎉", "🔥"]), None).await;
    bob.react("🎉").await;
    bob.react("👍").await;
    let frames = bob.frames_for(SETTLE).await;
    assert_eq!(summed(&frames), counts(&[("🎉", 1)]));
    assert_eq!(error_codes(&frames), ["invalid_reaction"]);

    // A room.updated (ordered, newer than any token) changes it again.
    cms.publish(RoomUpdated {
        room_id: room.id,
        seq: 1,
        topic: String::new(),
        state: RoomState::Open,
        slow_mode_seconds: 0,
        moderation: Moderation::Post,
        reactions: vec!["🙏".into()],
    })
    .await;
    assert_eq!(bob.event_seqs(1).await, [1]);
    bob.react("🎉").await;
    bob.react("🙏").await;
    let frames = bob.frames_for(SETTLE).await;
    assert_eq!(summed(&frames), counts(&[("🙏", 1)]));
    assert_eq!(error_codes(&frames), ["invalid_reaction"]);
    gateway.stop().await;
    cms.clean_up().await;
}

#[tokio::test]
async fn a_flood_is_cut_to_the_budget_with_one_slow_down_a_second_and_a_paused_room_takes_none() {
    let prefix = unique_prefix();
    let cms = Cms::connect(&prefix).await;
    let gateway = Gateway::spawn(&prefix).await;
    let room = Room::new("physics");
    let mut ada = Client::connect(&gateway).await;
    ada.join(&token(&room, Role::Participant, 280), None).await;

    for _ in 0..40 {
        ada.react("👏").await;
    }
    let frames = ada.frames_for(SETTLE).await;
    let counted = summed(&frames).get("👏").copied().unwrap_or(0);
    // The burst of 10, and at most a token more refilled while the 40 frames were read.
    assert!((10..=11).contains(&counted), "{counted} of 40 counted");
    assert_eq!(
        error_codes(&frames),
        ["slow_down"],
        "one slow_down, not one per dropped reaction"
    );

    // The budget refills at 5 a second.
    ada.react("👏").await;
    assert_eq!(summed(&ada.frames_for(SETTLE).await), counts(&[("👏", 1)]));

    cms.room_state(&room, 1, RoomState::Paused).await;
    assert_eq!(ada.event_seqs(1).await, [1]);
    ada.react("👏").await;
    assert_eq!(ada.next_non_presence().await["code"], "room_paused");
    gateway.stop().await;
    cms.clean_up().await;
}

#[tokio::test]
async fn two_gateways_on_one_bus_add_up_each_others_reactions() {
    let prefix = unique_prefix();
    let cms = Cms::connect(&prefix).await;
    let (east, west) = (Gateway::spawn(&prefix).await, Gateway::spawn(&prefix).await);
    let room = Room::new("physics");
    let token = token(&room, Role::Participant, 280);
    let mut ada = Client::connect(&east).await;
    let mut bob = Client::connect(&west).await;
    ada.join(&token, None).await;
    bob.join(&token, None).await;
    // Both rooms are bound once each side sees the other's presence.
    ada.presence_reaches(2).await;
    bob.presence_reaches(2).await;

    ada.react("👍").await;
    ada.react("👍").await;
    bob.react("😮").await;
    let (ada_frames, bob_frames) = tokio::join!(ada.frames_for(SETTLE), bob.frames_for(SETTLE));
    let everyone = counts(&[("👍", 2), ("😮", 1)]);
    assert_eq!(summed(&ada_frames), everyone, "east adds west's counts");
    assert_eq!(summed(&bob_frames), everyone, "west adds east's counts");
    for frames in [&ada_frames, &bob_frames] {
        let reactions = of_type(frames, "reactions");
        for pair in reactions.windows(2) {
            assert!(pair[1].0.duration_since(pair[0].0) >= Duration::from_millis(800));
        }
    }
    east.stop().await;
    west.stop().await;
    cms.clean_up().await;
}
