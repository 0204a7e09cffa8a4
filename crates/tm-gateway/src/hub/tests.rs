//! The hub's seq, replay, reset, slow-client and presence rules, through its public API.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tm_core::event::{RoomId, Seq};
use uuid::Uuid;

use super::*;
use crate::protocol::event_frame;

const ROOM: RoomId = 42;
const NO_LINGER: Duration = Duration::ZERO;
const TTL: Duration = Duration::from_secs(45);

fn hub() -> Arc<Hub> {
    Hub::new(8, Arc::new(Metrics::default()))
}

/// A socket as the hub sees it: its queue's far end.
struct Client {
    inbox: Inbox,
    joined: Joined,
}

impl Client {
    fn join(hub: &Arc<Hub>, since: Option<Seq>) -> Client {
        Client::join_with_queue(hub, since, 64)
    }

    /// Joins trusting `since` (the seq rules below hold whatever the room's head).
    fn join_with_queue(hub: &Arc<Hub>, since: Option<Seq>, capacity: usize) -> Client {
        let (outbox, inbox) = outbox(capacity);
        let joined = hub.join(ROOM, since, outbox, true);
        Client { inbox, joined }
    }

    /// Joins as a session does first: `since` is judged against the room's known head.
    fn join_checked(hub: &Arc<Hub>, since: Option<Seq>) -> Client {
        let (outbox, inbox) = outbox(64);
        let joined = hub.join(ROOM, since, outbox, false);
        Client { inbox, joined }
    }

    /// Everything queued so far, as JSON; `leave` marks a frame after which the socket left.
    fn received(&mut self) -> Vec<Value> {
        let mut frames = Vec::new();
        while let Some(item) = self.inbox.try_pop() {
            let (message, left) = match item {
                Outgoing::Frame(m) => (m, false),
                Outgoing::Leave(m) => (m, true),
            };
            let mut value: Value = serde_json::from_str(message.to_text().unwrap()).unwrap();
            if left {
                value["leave"] = json!(true);
            }
            frames.push(value);
        }
        frames
    }

    fn event_seqs(&mut self) -> Vec<Seq> {
        self.received()
            .into_iter()
            .filter(|f| f["type"] == "event")
            .map(|f| f["seq"].as_u64().unwrap())
            .collect()
    }

    fn replayed_seqs(&self) -> Vec<Seq> {
        match &self.joined.outcome {
            JoinOutcome::Live { replay, .. } => replay
                .iter()
                .map(|m| {
                    serde_json::from_str::<Value>(m.to_text().unwrap()).unwrap()["seq"]
                        .as_u64()
                        .unwrap()
                })
                .collect(),
            other => panic!("expected a live join, got {other:?}"),
        }
    }
}

fn publish(hub: &Hub, seqs: impl IntoIterator<Item = Seq>) {
    for seq in seqs {
        let data = json!({"room_id": ROOM, "seq": seq, "id": seq});
        hub.deliver(ROOM, seq, &event_frame(seq, "message.deleted", &data));
    }
}

#[test]
fn live_events_reach_every_subscriber_in_order_without_repeats() {
    let hub = hub();
    let mut ada = Client::join(&hub, None);
    let mut bob = Client::join(&hub, Some(0));
    publish(&hub, [1, 2, 2, 1, 3]);
    assert_eq!(ada.event_seqs(), [1, 2, 3]);
    assert_eq!(bob.event_seqs(), [1, 2, 3]);
}

#[test]
fn a_late_joiner_with_since_gets_the_missed_events_replayed_then_live_ones() {
    let hub = hub();
    let _first = Client::join(&hub, Some(0));
    publish(&hub, 1..=5);
    let mut late = Client::join(&hub, Some(2));
    assert!(matches!(late.joined.outcome, JoinOutcome::Live { seq: 5, .. }));
    assert_eq!(late.replayed_seqs(), [3, 4, 5]);
    publish(&hub, [6]);
    assert_eq!(late.event_seqs(), [6]);
}

#[test]
fn a_since_older_than_the_buffer_gets_a_reset_and_no_subscription() {
    let hub = hub();
    let _first = Client::join(&hub, Some(0));
    publish(&hub, 1..=20); // the buffer holds 8: 13..=20
    let mut stale = Client::join(&hub, Some(5));
    assert!(matches!(stale.joined.outcome, JoinOutcome::Reset { seq: 20 }));
    assert!(stale.joined.membership.is_none());
    publish(&hub, [21]);
    assert!(stale.received().is_empty());
}

#[test]
fn a_gap_resets_the_subscribers_and_they_leave_the_room() {
    let hub = hub();
    let mut ada = Client::join(&hub, Some(0));
    publish(&hub, [1, 2, 5]);
    let frames = ada.received();
    assert_eq!(frames.len(), 3, "{frames:?}");
    assert_eq!(frames[2], json!({"type": "reset", "seq": 5, "leave": true}));
    publish(&hub, [6]);
    assert!(
        ada.received().is_empty(),
        "a reset socket gets nothing until it joins again"
    );
}

#[test]
fn a_client_ahead_of_the_gateway_skips_what_it_already_has() {
    let hub = hub();
    let mut ada = Client::join(&hub, Some(10)); // fetched up to 10 from the CMS
    publish(&hub, 9..=12);
    assert_eq!(ada.event_seqs(), [11, 12]);
}

#[test]
fn a_first_joiner_whose_since_is_behind_the_first_event_is_reset() {
    let hub = hub();
    let mut ada = Client::join(&hub, Some(3));
    publish(&hub, [7]);
    assert_eq!(ada.received(), [json!({"type": "reset", "seq": 7, "leave": true})]);
}

#[test]
fn a_slow_client_is_cut_off_instead_of_buffering_without_bound() {
    let hub = hub();
    let mut slow = Client::join_with_queue(&hub, Some(0), 2);
    let mut fast = Client::join(&hub, Some(0));
    publish(&hub, 1..=5);
    assert!(slow.inbox.is_overflowed());
    assert!(
        slow.event_seqs().is_empty(),
        "an overflowed queue is dropped: the socket closes with 1013"
    );
    assert_eq!(fast.event_seqs(), [1, 2, 3, 4, 5], "others are not held back");
}

#[test]
fn broker_recovery_resets_everyone_with_their_resume_point() {
    let hub = hub();
    let mut ada = Client::join(&hub, Some(0));
    publish(&hub, 1..=3);
    ada.received();
    hub.resync_all();
    assert_eq!(ada.received(), [json!({"type": "reset", "seq": 3, "leave": true})]);
}

#[test]
fn presence_counts_local_and_remote_sockets_and_announces_changes() {
    let hub = hub();
    let mut ada = Client::join(&hub, None);
    assert_eq!(ada.joined.presence, 1);
    hub.record_presence(ROOM, Uuid::new_v4(), 4);
    let announced = hub.presence_tick(|_| false, TTL, NO_LINGER);
    assert_eq!(announced, [(ROOM, 1)]);
    assert_eq!(ada.received(), [json!({"type": "presence", "count": 5})]);
    assert!(
        hub.presence_tick(|_| false, TTL, NO_LINGER).is_empty(),
        "nothing changed"
    );
    assert!(ada.received().is_empty(), "an unchanged count is not resent");
    assert_eq!(hub.presence_tick(|_| true, TTL, NO_LINGER), [(ROOM, 1)], "heartbeat");
}

#[test]
fn an_empty_room_lingers_then_goes_and_its_binding_is_released() {
    let hub = hub();
    let ada = Client::join(&hub, None);
    assert_eq!(hub.take_binding_changes(), [(ROOM, true)]);
    drop(ada);
    assert_eq!(hub.presence_tick(|_| false, TTL, Duration::from_secs(60)), [(ROOM, 0)]);
    assert_eq!(hub.room_count(), 1, "lingering");
    hub.presence_tick(|_| false, TTL, NO_LINGER);
    assert_eq!(hub.room_count(), 0);
    assert_eq!(hub.take_binding_changes(), [(ROOM, false)]);
}

#[test]
fn joiners_learn_when_the_binding_is_in_place() {
    let hub = hub();
    let ada = Client::join(&hub, None);
    assert!(!*ada.joined.bound.borrow());
    hub.mark_bound(ROOM);
    assert!(*ada.joined.bound.borrow());
}

fn rejection(participant: &str, code: tm_core::event::PostRejectionCode) -> tm_core::event::PostRejected {
    tm_core::event::PostRejected {
        room_id: ROOM,
        client_id: Uuid::new_v4(),
        participant_id: participant.into(),
        code,
        message: "refused".into(),
    }
}

fn join_as(hub: &Arc<Hub>, participant: &str, since: Option<Seq>) -> (Inbox, Joined) {
    let (outbox, inbox) = outbox(64);
    let joined = hub.join_as(ROOM, since, outbox, Some(participant), true);
    (inbox, joined)
}

fn frames_of(inbox: &Inbox) -> Vec<Value> {
    let mut frames = Vec::new();
    while let Some(Outgoing::Frame(m) | Outgoing::Leave(m)) = inbox.try_pop() {
        frames.push(serde_json::from_str(m.to_text().unwrap()).unwrap());
    }
    frames
}

#[test]
fn a_rejection_reaches_only_its_posters_sockets_and_a_poster_who_reconnects() {
    use tm_core::event::PostRejectionCode;
    let hub = hub();
    let (ada_inbox, ada) = join_as(&hub, "ada", Some(0));
    let (bob_inbox, _bob) = join_as(&hub, "bob", Some(0));
    let refused = rejection("ada", PostRejectionCode::SlowDown);
    hub.reject_post(&refused);

    let ada_frames = frames_of(&ada_inbox);
    assert_eq!(
        ada_frames,
        [json!({"type": "rejected", "client_id": refused.client_id, "code": "slow_down", "message": "refused"})]
    );
    assert!(frames_of(&bob_inbox).is_empty(), "nobody else hears of it");

    // Ada's socket drops; she reconnects (join with since) and gets it after the replay.
    drop(ada);
    let (_inbox, again) = join_as(&hub, "ada", Some(0));
    match again.outcome {
        JoinOutcome::Live { replay, .. } => {
            let replayed: Vec<Value> = replay
                .iter()
                .map(|m| serde_json::from_str(m.to_text().unwrap()).unwrap())
                .collect();
            assert_eq!(replayed, ada_frames);
        }
        other => panic!("expected a live join, got {other:?}"),
    }
    assert!(!hub.known_muted(ROOM, "ada"));
}

#[test]
fn a_rejection_as_muted_is_remembered_for_the_retention_only() {
    use tm_core::event::PostRejectionCode;
    let hub = Hub::with_rejection_retention(8, Duration::from_millis(50), Arc::new(Metrics::default()));
    let (_inbox, _ada) = join_as(&hub, "ada", Some(0));
    hub.reject_post(&rejection("ada", PostRejectionCode::Muted));
    assert!(hub.known_muted(ROOM, "ada"));
    assert!(!hub.known_muted(ROOM, "bob"));
    std::thread::sleep(Duration::from_millis(60));
    assert!(
        !hub.known_muted(ROOM, "ada"),
        "an unmute takes effect here after the retention"
    );
    let (_inbox, rejoined) = join_as(&hub, "ada", Some(0));
    assert!(
        matches!(rejoined.outcome, JoinOutcome::Live { ref replay, .. } if replay.is_empty()),
        "an old rejection is not sent again"
    );
}

#[test]
fn a_room_with_a_fresh_rejection_outlives_its_linger_until_the_retention_ends() {
    use tm_core::event::PostRejectionCode;
    let hub = Hub::with_rejection_retention(8, Duration::from_millis(80), Arc::new(Metrics::default()));
    let (_inbox, ada) = join_as(&hub, "ada", Some(0));
    hub.reject_post(&rejection("ada", PostRejectionCode::SlowDown));
    drop(ada); // the poster's page reloads

    hub.presence_tick(|_| false, TTL, NO_LINGER);
    assert_eq!(hub.room_count(), 1, "kept for the poster's next join");
    let (_inbox, again) = join_as(&hub, "ada", Some(0));
    assert!(matches!(again.outcome, JoinOutcome::Live { ref replay, .. } if replay.len() == 1));
    drop(again);

    std::thread::sleep(Duration::from_millis(90));
    hub.presence_tick(|_| false, TTL, NO_LINGER);
    assert_eq!(hub.room_count(), 0, "gone once the retention is over");
}

#[test]
fn a_since_for_a_room_new_to_the_gateway_waits_for_the_rooms_head() {
    let hub = hub();
    // Events 4..=7 were published while this gateway did not follow the room.
    let first = Client::join_checked(&hub, Some(3));
    assert!(matches!(first.joined.outcome, JoinOutcome::HeadUnknown));
    assert!(
        first.joined.membership.is_none(),
        "not subscribed before the head is known"
    );
    assert!(hub.head_request_due(ROOM, Duration::from_secs(5)));
    assert!(
        !hub.head_request_due(ROOM, Duration::from_secs(5)),
        "simultaneous joiners ask once"
    );
    assert!(!*first.joined.head_known.borrow());
    hub.record_head(ROOM, 7);
    assert!(*first.joined.head_known.borrow());
    let behind = Client::join_checked(&hub, Some(3));
    assert!(
        matches!(behind.joined.outcome, JoinOutcome::Reset { seq: 7 }),
        "{:?}",
        behind.joined.outcome
    );
    let mut caught_up = Client::join_checked(&hub, Some(7));
    assert!(matches!(caught_up.joined.outcome, JoinOutcome::Live { seq: 7, .. }));
    publish(&hub, [8]);
    assert_eq!(caught_up.event_seqs(), [8]);
}

#[test]
fn once_the_head_is_known_events_after_it_are_replayed() {
    let hub = hub();
    let _first = Client::join_checked(&hub, Some(5));
    hub.record_head(ROOM, 5);
    publish(&hub, 6..=7);
    let late = Client::join_checked(&hub, Some(5));
    assert_eq!(late.replayed_seqs(), [6, 7]);
    let stale = Client::join_checked(&hub, Some(2));
    assert!(matches!(stale.joined.outcome, JoinOutcome::Reset { seq: 7 }));
}

#[test]
fn a_head_beyond_the_buffer_drops_the_buffer_it_cannot_complete() {
    let hub = hub();
    let _first = Client::join(&hub, Some(0));
    publish(&hub, 1..=3);
    hub.record_head(ROOM, 6); // 4..=6 never arrived here
    let client = Client::join_checked(&hub, Some(1));
    assert!(matches!(client.joined.outcome, JoinOutcome::Reset { seq: 6 }));
}

#[test]
fn broker_recovery_drops_the_replay_buffer_and_the_head() {
    let hub = hub();
    let _first = Client::join_checked(&hub, Some(0));
    hub.record_head(ROOM, 0);
    publish(&hub, 1..=3);
    hub.resync_all();
    // Events 4.. may have been published during the outage: 3 is no longer known to be the
    // latest, and the buffer must not be replayed as if it were complete.
    let rejoin = Client::join_checked(&hub, Some(3));
    assert!(matches!(rejoin.joined.outcome, JoinOutcome::HeadUnknown));
    assert!(!*rejoin.joined.head_known.borrow());
    assert!(hub.head_request_due(ROOM, Duration::from_secs(5)), "asked again");
    hub.record_head(ROOM, 5);
    let rejoin = Client::join_checked(&hub, Some(3));
    assert!(matches!(rejoin.joined.outcome, JoinOutcome::Reset { seq: 5 }));
}

#[test]
fn an_old_or_repeated_room_update_never_rolls_the_state_back() {
    let hub = hub();
    let _ada = Client::join(&hub, None);
    let paused = RoomPolicy {
        state: Some(tm_core::event::RoomState::Paused),
        slow_mode_seconds: 0,
        ..RoomPolicy::default()
    };
    let open = RoomPolicy {
        state: Some(tm_core::event::RoomState::Open),
        slow_mode_seconds: 30,
        ..RoomPolicy::default()
    };
    hub.set_policy(ROOM, 4, open);
    hub.set_policy(ROOM, 6, paused);
    hub.set_policy(ROOM, 4, open); // redelivered
    hub.set_policy(ROOM, 6, open); // a repeat of seq 6 cannot differ; it is ignored anyway
    assert_eq!(hub.policy(ROOM), paused);
    hub.set_policy(ROOM, 9, open);
    assert_eq!(hub.policy(ROOM), open);
}
