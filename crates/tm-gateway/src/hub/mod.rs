//! The hub: every room this gateway serves, and the sockets subscribed to each.
//!
//! Sessions join and leave; the bus link delivers events and learns which rooms need a binding;
//! the presence ticker counts people. All of it goes through one mutex that is never held
//! across an `.await` and only ever does in-memory work (offering a frame to a socket's bounded
//! queue never waits), so a slow socket cannot stall a room.
//!
//! A room exists while it has subscribers and lingers, still bound, for a while after the last
//! one leaves: a client that reconnects (or rejoins after a `reset`) finds its recent events.

mod outbox;
mod presence;
mod reactions;
mod replay;
mod room;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tm_core::event::{PostRejected, RoomId, Seq};
use tokio::sync::{watch, Notify};
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

pub use outbox::{outbox, Inbox, Outbox, Outgoing};
pub use reactions::{reaction_set_of, ReactionAnnouncements, ReactionRefusal};
pub use room::{JoinOutcome, RoomPolicy};

use crate::metrics::Metrics;
use crate::protocol::ServerFrame;
use room::{Room, SubscriberId};

/// Shared by every task of the gateway.
#[derive(Debug)]
pub struct Hub {
    state: Mutex<State>,
    binder: Notify,
    next_id: AtomicU64,
    replay_capacity: usize,
    /// How long refusals of accepted posts are kept for posters who reconnect.
    rejection_retention: Duration,
    metrics: Arc<Metrics>,
}

#[derive(Debug, Default)]
struct State {
    rooms: HashMap<RoomId, Room>,
    /// Rooms whose binding may have to change.
    dirty: BTreeSet<RoomId>,
}

/// A join: what to answer, and the subscription (unsubscribes when dropped).
#[derive(Debug)]
pub struct Joined {
    pub outcome: JoinOutcome,
    pub membership: Option<Membership>,
    /// People in the room across gateways, this socket included.
    pub presence: u64,
    /// Becomes true once the room's binding is in place.
    pub bound: watch::Receiver<bool>,
    /// Becomes true once the room's head is known (after [`JoinOutcome::HeadUnknown`]).
    pub head_known: watch::Receiver<bool>,
}

/// A socket's place in a room; leaving is dropping it.
#[derive(Debug)]
pub struct Membership {
    hub: Arc<Hub>,
    room: RoomId,
    id: SubscriberId,
}

impl Drop for Membership {
    fn drop(&mut self) {
        self.hub.leave(self.room, self.id);
    }
}

/// How long a refusal is kept when the settings do not say (`rooms.rejection_retention_secs`).
const DEFAULT_REJECTION_RETENTION: Duration = Duration::from_secs(120);

/// Announcements for other gateways, from one presence tick.
pub type PresenceAnnouncements = Vec<(RoomId, u32)>;

impl Hub {
    pub fn new(replay_capacity: usize, metrics: Arc<Metrics>) -> Arc<Hub> {
        Arc::new(Hub {
            state: Mutex::default(),
            binder: Notify::new(),
            next_id: AtomicU64::new(1),
            replay_capacity,
            rejection_retention: DEFAULT_REJECTION_RETENTION,
            metrics,
        })
    }

    /// A hub that keeps refusals of accepted posts for `retention`.
    pub fn with_rejection_retention(replay_capacity: usize, retention: Duration, metrics: Arc<Metrics>) -> Arc<Hub> {
        let mut hub = Hub::new(replay_capacity, metrics);
        if let Some(hub) = Arc::get_mut(&mut hub) {
            hub.rejection_retention = retention;
        }
        hub
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock left plain data behind; keep serving.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Subscribes `outbox` to `room`, replaying from `since` when given. Without `trust_since`,
    /// a `since` for a room whose head is unknown answers [`JoinOutcome::HeadUnknown`].
    pub fn join(self: &Arc<Self>, room: RoomId, since: Option<Seq>, outbox: Outbox, trust_since: bool) -> Joined {
        self.join_as(room, since, outbox, None, trust_since)
    }

    /// [`Hub::join`] for `participant`'s socket: it also gets the `rejected` frames meant for
    /// that participant, live and (after the replay) the recent ones.
    pub fn join_as(
        self: &Arc<Self>,
        room: RoomId,
        since: Option<Seq>,
        outbox: Outbox,
        participant: Option<&str>,
        trust_since: bool,
    ) -> Joined {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut state = self.state();
        let created = !state.rooms.contains_key(&room);
        let capacity = self.replay_capacity;
        let entry = state
            .rooms
            .entry(room)
            .or_insert_with(|| Room::new(capacity, Instant::now()));
        let outcome = entry.join_as(id, outbox, since, participant, trust_since);
        let presence = entry.presence.total(entry.local_count());
        let bound = entry.bound.subscribe();
        let head_known = entry.head_known.subscribe();
        let subscribed = matches!(outcome, JoinOutcome::Live { .. });
        if created {
            state.dirty.insert(room);
            self.metrics.rooms.set(state.rooms.len() as i64);
            self.binder.notify_one();
        }
        drop(state);
        let membership = subscribed.then(|| Membership {
            hub: Arc::clone(self),
            room,
            id,
        });
        Joined {
            outcome,
            membership,
            presence,
            bound,
            head_known,
        }
    }

    /// Whether this joiner should send the room's `room.head.request`: true unless one went
    /// out less than `again_after` ago (then its answer is awaited).
    pub fn head_request_due(&self, room: RoomId, again_after: Duration) -> bool {
        let now = Instant::now();
        let mut state = self.state();
        let Some(entry) = state.rooms.get_mut(&room) else {
            return false;
        };
        let due = entry
            .head_requested_at
            .is_none_or(|at| now.saturating_duration_since(at) >= again_after);
        if due {
            entry.head_requested_at = Some(now);
        }
        due
    }

    /// A `room.head` arrived: the room's latest seq; the room is current from now on.
    pub fn record_head(&self, room: RoomId, head: Seq) {
        if let Some(entry) = self.state().rooms.get_mut(&room) {
            entry.record_head(head);
        }
    }

    fn leave(&self, room: RoomId, id: SubscriberId) {
        if let Some(entry) = self.state().rooms.get_mut(&room) {
            entry.leave(id, Instant::now());
        }
    }

    /// Delivers a sequenced room event (framed once by the caller) to the room's subscribers.
    pub fn deliver(&self, room: RoomId, seq: Seq, frame: &Message) {
        self.metrics.events_received.inc();
        let delivery = match self.state().rooms.get_mut(&room) {
            Some(entry) => entry.deliver(seq, frame, Instant::now()),
            None => return,
        };
        if delivery.duplicate {
            self.metrics.events_duplicate.inc();
        }
        self.metrics.frames_sent.inc_by(delivery.sent);
        self.metrics.resets.inc_by(delivery.resets);
    }

    /// Redacts message `id`'s `message.created` in the room's replay buffer (on `message.deleted`).
    pub fn redact_message(&self, room: RoomId, id: u64) {
        if let Some(entry) = self.state().rooms.get_mut(&room) {
            entry.redact_message(id);
        }
    }

    /// The CMS refused an accepted post: tells its poster's sockets here (`rejected`) and keeps
    /// the refusal for a poster who reconnects. Ignored for a room this gateway does not serve
    /// (no poster of it is connected here).
    pub fn reject_post(&self, rejected: &PostRejected) {
        let retention = self.rejection_retention;
        if let Some(entry) = self.state().rooms.get_mut(&rejected.room_id) {
            let sent = entry.reject(rejected, Instant::now(), retention);
            self.metrics.frames_sent.inc_by(sent);
        }
    }

    /// Whether the CMS recently refused `participant`'s post in `room` because they are muted.
    pub fn known_muted(&self, room: RoomId, participant: &str) -> bool {
        let retention = self.rejection_retention;
        self.state()
            .rooms
            .get_mut(&room)
            .is_some_and(|entry| entry.known_muted(participant, Instant::now(), retention))
    }

    /// When `participant` last posted in `room` through this gateway (for slow mode).
    pub fn last_post(&self, room: RoomId, participant: &str) -> Option<Instant> {
        self.state()
            .rooms
            .get(&room)
            .and_then(|entry| entry.last_post(participant))
    }

    /// Records a post of `participant` in `room` at `now` (for slow mode).
    pub fn note_post(&self, room: RoomId, participant: &str, now: Instant) {
        if let Some(entry) = self.state().rooms.get_mut(&room) {
            entry.note_post(participant, now);
        }
    }

    /// What this gateway knows of the room's state (for refusing posts early).
    pub fn policy(&self, room: RoomId) -> RoomPolicy {
        self.state().rooms.get(&room).map(|r| r.policy).unwrap_or_default()
    }

    /// Records a state change seen in the `room.updated` / `room.closed` event `seq`, unless a
    /// newer one was already applied.
    pub fn set_policy(&self, room: RoomId, seq: Seq, policy: RoomPolicy) {
        if let Some(entry) = self.state().rooms.get_mut(&room) {
            entry.set_policy(seq, policy);
        }
    }

    /// After a broker recovery: every subscriber must resync from the CMS, and no room is
    /// current any more (buffers dropped, heads to be asked again).
    pub fn resync_all(&self) {
        let now = Instant::now();
        let resets: u64 = self.state().rooms.values_mut().map(|room| room.resync(now)).sum();
        self.metrics.resets.inc_by(resets);
        tracing::info!(resets, "broker recovered: asked every socket to resync");
    }

    /// Another gateway's count for a room we serve.
    pub fn record_presence(&self, room: RoomId, gateway: Uuid, count: u32) {
        if let Some(entry) = self.state().rooms.get_mut(&room) {
            entry.presence.record(gateway, count, Instant::now());
        }
    }

    /// Once a second: sends changed totals to local clients, expires silent gateways, drops
    /// rooms that lingered empty for `linger`, and returns the counts to announce on the bus.
    /// `heartbeat(room)` says whether the room's count is due for its periodic re-announcement.
    pub fn presence_tick(
        &self,
        heartbeat: impl Fn(RoomId) -> bool,
        ttl: Duration,
        linger: Duration,
    ) -> PresenceAnnouncements {
        let now = Instant::now();
        let mut state = self.state();
        // A room's count drops to 0 (and is announced) before the room expires, so other
        // gateways never keep a count for a room we left.
        let mut announce = PresenceAnnouncements::new();
        let mut expired = Vec::new();
        for (id, room) in state.rooms.iter_mut() {
            room.presence.expire(now, ttl);
            let local = room.local_count();
            let total = room.presence.total(local);
            if room.presence.last_sent != Some(total) && local > 0 {
                room.presence.last_sent = Some(total);
                room.broadcast(&ServerFrame::Presence { count: total }.to_message(), now);
            }
            let local = u32::try_from(room.local_count()).unwrap_or(u32::MAX);
            if room.presence.take_announcement(local, heartbeat(*id)) {
                announce.push((*id, local));
            }
            if room
                .empty_since
                .is_some_and(|since| now.saturating_duration_since(since) >= linger)
                && !room.keeps_rejections(now, self.rejection_retention)
            {
                expired.push(*id);
            }
        }
        for id in expired {
            state.rooms.remove(&id);
            state.dirty.insert(id);
        }
        if !state.dirty.is_empty() {
            self.metrics.rooms.set(state.rooms.len() as i64);
            self.binder.notify_one();
        }
        announce
    }

    /// Resolves when some room's binding may have to change.
    pub async fn bindings_changed(&self) {
        self.binder.notified().await
    }

    /// The rooms whose binding may have to change, each with whether it is wanted now.
    pub fn take_binding_changes(&self) -> Vec<(RoomId, bool)> {
        let mut state = self.state();
        let dirty = std::mem::take(&mut state.dirty);
        dirty
            .into_iter()
            .map(|room| (room, state.rooms.contains_key(&room)))
            .collect()
    }

    /// Tells the room's waiting joiners that its binding is in place.
    pub fn mark_bound(&self, room: RoomId) {
        if let Some(entry) = self.state().rooms.get(&room) {
            entry.bound.send_replace(true);
        }
    }

    /// Rooms currently served (with subscribers or lingering).
    pub fn room_count(&self) -> usize {
        self.state().rooms.len()
    }
}
