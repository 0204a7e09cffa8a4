//! One room on this gateway: its local subscribers, recent events and what it knows of the
//! room's state. The seq rules live here.
//!
//! Each subscriber remembers the last seq it was sent. An event goes to a subscriber only if it
//! is exactly the next one; older seqs are skipped (duplicates, or events the client already
//! fetched from the CMS) and a jump means events were missed, so that subscriber gets a `reset`
//! and leaves the room. That one rule keeps "strictly increasing, no gaps, no repeats" true for
//! every socket whatever the bus does (redeliveries, an outage, a late binding).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use tm_core::event::{PostRejected, PostRejectionCode, RoomState, Seq};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use super::outbox::{Outbox, Outgoing};
use super::presence::PresenceCounts;
use super::reactions::ReactionTally;
use super::replay::ReplayBuffer;
use crate::protocol::ServerFrame;

pub(crate) type SubscriberId = u64;

/// What posting is allowed right now, as far as this gateway has seen (the CMS decides).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoomPolicy {
    /// `None` until a `room.updated` or `room.closed` event was seen.
    pub state: Option<RoomState>,
    pub slow_mode_seconds: u32,
    /// The CMS recently refused this poster as muted (per participant; not part of the room's
    /// stored policy, filled in per post).
    pub known_muted: bool,
}

/// The answer to a join.
#[derive(Debug)]
pub enum JoinOutcome {
    /// Subscribed: send `joined` with `seq`, then `replay`, then live frames.
    Live { seq: Seq, replay: Vec<Message> },
    /// The buffer does not reach back to `since`: send `reset`; the socket is not subscribed.
    Reset { seq: Seq },
    /// The gateway does not know the room's latest seq yet, so it cannot judge `since`: ask
    /// the CMS for the room's head, wait for it, then join again. Not subscribed.
    HeadUnknown,
}

/// How an incoming event was handled.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Delivery {
    pub(crate) duplicate: bool,
    pub(crate) sent: u64,
    pub(crate) resets: u64,
}

#[derive(Debug)]
struct Subscriber {
    id: SubscriberId,
    outbox: Outbox,
    last_seq: Option<Seq>,
    /// Whose socket it is (the join token's participant), for `rejected` frames.
    participant: Option<String>,
}

/// Rejections kept per room at most (the oldest go first).
const KEPT_REJECTIONS: usize = 512;

/// A recent `rejected` frame, for a poster who reconnects.
#[derive(Debug)]
struct RecentRejection {
    at: Instant,
    participant: String,
    frame: Message,
}

#[derive(Debug)]
pub(crate) struct Room {
    subscribers: Vec<Subscriber>,
    replay: ReplayBuffer,
    pub(crate) policy: RoomPolicy,
    pub(crate) presence: PresenceCounts,
    /// Live reactions: the room's emoji and the current window's counts.
    pub(crate) reactions: ReactionTally,
    /// True once the room's binding is in place; first joiners wait for it.
    pub(crate) bound: watch::Sender<bool>,
    /// When the last subscriber left (the room lingers, bound, for quick rejoins).
    pub(crate) empty_since: Option<Instant>,
    /// Recent refusals of accepted posts, oldest first.
    rejections: VecDeque<RecentRejection>,
    /// Participants the CMS refused as muted, and when that was: their next posts are refused
    /// here, before `accepted`, for a while.
    muted: HashMap<String, Instant>,
    /// When each participant last posted here, for slow mode: per participant like the CMS, so
    /// a second tab or a reconnect does not start afresh.
    last_posts: HashMap<String, Instant>,
    /// The room's latest seq as learned from `room.head` (raised by later events through
    /// [`Self::latest`]); `None` while the room is not current.
    head: Option<Seq>,
    /// True while `head` is known; joiners that got [`JoinOutcome::HeadUnknown`] wait for it.
    pub(crate) head_known: watch::Sender<bool>,
    /// When a `room.head.request` was last sent, so simultaneous joiners ask once.
    pub(crate) head_requested_at: Option<Instant>,
    /// The seq of the `room.updated` / `room.closed` that set `policy`: an older or repeated
    /// one (a redelivery, a replay) never rolls the state back.
    policy_seq: Seq,
}

impl Room {
    /// A room with no subscriber yet (empty as of `now`, so it expires if no join succeeds).
    pub(crate) fn new(replay_capacity: usize, now: Instant) -> Self {
        Room {
            subscribers: Vec::new(),
            replay: ReplayBuffer::new(replay_capacity),
            policy: RoomPolicy::default(),
            presence: PresenceCounts::default(),
            reactions: ReactionTally::default(),
            bound: watch::channel(false).0,
            empty_since: Some(now),
            rejections: VecDeque::new(),
            muted: HashMap::new(),
            last_posts: HashMap::new(),
            head: None,
            head_known: watch::channel(false).0,
            head_requested_at: None,
            policy_seq: 0,
        }
    }

    /// The newest seq this gateway knows of: the buffer's, or the learned head if newer.
    fn latest(&self) -> Option<Seq> {
        self.replay.latest().max(self.head)
    }

    /// The CMS answered `room.head`: the room is current from now on. A buffer that ends
    /// before the head has a hole up to it and is dropped.
    pub(crate) fn record_head(&mut self, head: Seq) {
        if self.replay.latest().is_some_and(|latest| latest < head) {
            self.replay.clear();
        }
        self.head = Some(self.head.map_or(head, |known| known.max(head)));
        self.head_known.send_replace(true);
    }

    /// Applies a state change carried by the event with `seq`, unless a newer one was applied.
    pub(crate) fn set_policy(&mut self, seq: Seq, policy: RoomPolicy) {
        if seq > self.policy_seq {
            self.policy_seq = seq;
            self.policy = policy;
        }
    }

    pub(crate) fn local_count(&self) -> usize {
        self.subscribers.len()
    }

    /// Subscribes a socket, replaying from `since` when given. With `trust_since` the room's
    /// head need not be known (the CMS did not answer in time): `since` is taken at its word,
    /// as before heads existed. For `participant`'s socket, after the replay come the
    /// `rejected` frames of that participant's posts refused recently (a poster who
    /// reconnected missed them).
    pub(crate) fn join_as(
        &mut self,
        id: SubscriberId,
        outbox: Outbox,
        since: Option<Seq>,
        participant: Option<&str>,
        trust_since: bool,
    ) -> JoinOutcome {
        let latest = self.latest();
        let (seq, replay, last_seq) = match (since, latest) {
            // No resume point: live from whatever this gateway has seen last.
            (None, _) => (latest.unwrap_or(0), Vec::new(), latest),
            (Some(_), _) if self.head.is_none() && !trust_since => return JoinOutcome::HeadUnknown,
            // Nothing seen at all (only when trusting), or the client is ahead of us: take its
            // seq and let the per-subscriber rule catch anything missed.
            (Some(since), None) => (since, Vec::new(), Some(since)),
            (Some(since), Some(latest)) if since >= latest => (since, Vec::new(), Some(since)),
            (Some(since), Some(latest)) => match self.replay.after(since) {
                // The buffer reaches the head (record_head dropped one that did not).
                Some(frames) if self.replay.latest() == Some(latest) => (latest, frames, Some(latest)),
                _ => return JoinOutcome::Reset { seq: latest },
            },
        };
        self.subscribers.push(Subscriber {
            id,
            outbox,
            last_seq,
            participant: participant.map(str::to_owned),
        });
        self.empty_since = None;
        let mut replay = replay;
        if let Some(participant) = participant {
            replay.extend(
                self.rejections
                    .iter()
                    .filter(|r| r.participant == participant)
                    .map(|r| r.frame.clone()),
            );
        }
        JoinOutcome::Live { seq, replay }
    }

    /// A post of this room was refused by the CMS: its poster's sockets get a `rejected` frame
    /// now, and one who reconnects within `retention` gets it on join. Returns frames sent.
    pub(crate) fn reject(&mut self, rejected: &PostRejected, now: Instant, retention: Duration) -> u64 {
        let frame = ServerFrame::Rejected {
            client_id: rejected.client_id,
            code: rejected.code.as_str(),
            message: &rejected.message,
        }
        .to_message();
        self.forget_rejections(now, retention);
        if self.rejections.len() >= KEPT_REJECTIONS {
            self.rejections.pop_front();
        }
        self.rejections.push_back(RecentRejection {
            at: now,
            participant: rejected.participant_id.clone(),
            frame: frame.clone(),
        });
        if rejected.code == PostRejectionCode::Muted {
            self.muted.insert(rejected.participant_id.clone(), now);
        }
        let mut sent = 0;
        let poster = Some(rejected.participant_id.as_str());
        self.subscribers.retain(|sub| {
            if sub.participant.as_deref() != poster {
                return true;
            }
            sent += 1;
            sub.outbox.offer(Outgoing::Frame(frame.clone()))
        });
        self.note_if_empty(now);
        sent
    }

    /// Whether the CMS refused `participant` as muted within `retention`.
    pub(crate) fn known_muted(&mut self, participant: &str, now: Instant, retention: Duration) -> bool {
        self.forget_rejections(now, retention);
        self.muted.contains_key(participant)
    }

    /// Whether a refusal is still kept for a poster who has not rejoined yet: the room then
    /// stays (bound) past its linger, so the poster's next join here still gets it.
    pub(crate) fn keeps_rejections(&mut self, now: Instant, retention: Duration) -> bool {
        self.forget_rejections(now, retention);
        !self.rejections.is_empty()
    }

    /// When `participant` last posted in this room (through this gateway).
    pub(crate) fn last_post(&self, participant: &str) -> Option<Instant> {
        self.last_posts.get(participant).copied()
    }

    /// Records a post of `participant` at `now`; forgets posts older than slow mode can reach.
    pub(crate) fn note_post(&mut self, participant: &str, now: Instant) {
        const PRUNE_AT: usize = 1024;
        if self.last_posts.len() >= PRUNE_AT {
            let slow = Duration::from_secs(u64::from(self.policy.slow_mode_seconds));
            self.last_posts
                .retain(|_, at| now.saturating_duration_since(*at) < slow);
        }
        self.last_posts.insert(participant.to_owned(), now);
    }

    fn forget_rejections(&mut self, now: Instant, retention: Duration) {
        let fresh = |at: &Instant| now.saturating_duration_since(*at) < retention;
        while self.rejections.front().is_some_and(|r| !fresh(&r.at)) {
            self.rejections.pop_front();
        }
        self.muted.retain(|_, at| fresh(at));
    }

    /// Unsubscribes a socket; true if it was subscribed.
    pub(crate) fn leave(&mut self, id: SubscriberId, now: Instant) -> bool {
        let before = self.subscribers.len();
        self.subscribers.retain(|s| s.id != id);
        self.note_if_empty(now);
        before != self.subscribers.len()
    }

    /// Hands a room event (already framed) to every subscriber it is next for.
    pub(crate) fn deliver(&mut self, seq: Seq, frame: &Message, now: Instant) -> Delivery {
        if self.latest().is_some_and(|latest| seq <= latest) {
            return Delivery {
                duplicate: true,
                ..Delivery::default()
            };
        }
        self.replay.push(seq, frame.clone());
        let mut delivery = Delivery::default();
        self.subscribers.retain_mut(|sub| match sub.last_seq {
            Some(last) if seq <= last => true,
            Some(last) if seq > last + 1 => {
                sub.outbox
                    .offer(Outgoing::Leave(ServerFrame::Reset { seq }.to_message()));
                delivery.resets += 1;
                false
            }
            _ => {
                sub.last_seq = Some(seq);
                delivery.sent += 1;
                sub.outbox.offer(Outgoing::Frame(frame.clone()))
            }
        });
        self.note_if_empty(now);
        delivery
    }

    /// A message was deleted: its buffered `message.created` must not be replayed any more.
    pub(crate) fn redact_message(&mut self, id: u64) {
        self.replay.redact_message(id);
    }

    /// After a broker outage, events may have been missed without a trace: every subscriber
    /// gets a `reset` (refetch from the CMS, then join again), and the room is no longer
    /// current: the buffer is dropped and the next join with `since` asks for the head again.
    /// Returns how many subscribers were reset.
    pub(crate) fn resync(&mut self, now: Instant) -> u64 {
        let resets = self.subscribers.len() as u64;
        let latest = self.latest();
        for sub in self.subscribers.drain(..) {
            let seq = sub.last_seq.max(latest).unwrap_or(0);
            sub.outbox
                .offer(Outgoing::Leave(ServerFrame::Reset { seq }.to_message()));
        }
        self.replay.clear();
        self.head = None;
        self.head_known.send_replace(false);
        self.head_requested_at = None;
        self.note_if_empty(now);
        resets
    }

    /// Sends a frame (presence, reactions) to every subscriber, dropping those too slow to take it.
    pub(crate) fn broadcast(&mut self, frame: &Message, now: Instant) {
        self.subscribers
            .retain(|sub| sub.outbox.offer(Outgoing::Frame(frame.clone())));
        self.note_if_empty(now);
    }

    fn note_if_empty(&mut self, now: Instant) {
        if self.subscribers.is_empty() && self.empty_since.is_none() {
            self.empty_since = Some(now);
        }
    }
}
