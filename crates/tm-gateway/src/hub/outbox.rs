//! The bounded queue between the hub and one socket.
//!
//! The hub never waits on a socket: it offers a frame and moves on. A full queue means the
//! client reads too slowly to keep up, so the queue is marked overflowed and the session closes
//! with 1013 instead of letting memory grow.
//!
//! Hand-rolled rather than a `tokio::sync::mpsc` channel because every open socket owns one:
//! a tokio channel allocates a block of 32 slots up front (about 2 KiB here), which was a fifth
//! of an idle socket's cost. This one is a single small allocation and holds frames only while
//! they wait.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;

/// What the hub sends a socket.
#[derive(Debug)]
pub enum Outgoing {
    /// A frame to write.
    Frame(Message),
    /// A frame to write, after which the socket is no longer in its room (a `reset`).
    Leave(Message),
}

#[derive(Debug)]
struct Queue {
    capacity: usize,
    state: Mutex<State>,
    /// Woken on every offer (and on overflow). A wake with nobody waiting is kept for the next
    /// wait, so the session can look at the queue first and then wait without losing one.
    changed: Notify,
}

#[derive(Debug, Default)]
struct State {
    frames: VecDeque<Outgoing>,
    overflowed: bool,
    /// The session is gone: offers fail, so the room drops the subscriber.
    closed: bool,
}

/// The hub's end of a socket's queue.
#[derive(Debug, Clone)]
pub struct Outbox(Arc<Queue>);

/// The session's end; dropping it closes the queue.
#[derive(Debug)]
pub struct Inbox(Arc<Queue>);

/// A queue of `capacity` frames for one socket.
pub fn outbox(capacity: usize) -> (Outbox, Inbox) {
    let queue = Arc::new(Queue {
        capacity: capacity.max(1),
        state: Mutex::default(),
        changed: Notify::new(),
    });
    (Outbox(Arc::clone(&queue)), Inbox(queue))
}

impl Queue {
    fn state(&self) -> MutexGuard<'_, State> {
        // Plain data: a panic elsewhere while holding the lock leaves nothing half-done.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Outbox {
    /// Queues `item`; false if the socket is gone or too slow (then it is being closed).
    pub(crate) fn offer(&self, item: Outgoing) -> bool {
        let mut state = self.0.state();
        if state.closed || state.overflowed {
            return false;
        }
        if state.frames.len() >= self.0.capacity {
            state.overflowed = true;
            state.frames.clear();
            drop(state);
            self.0.changed.notify_one();
            return false;
        }
        state.frames.push_back(item);
        drop(state);
        self.0.changed.notify_one();
        true
    }
}

impl Inbox {
    /// The next queued frame, if any.
    pub fn try_pop(&self) -> Option<Outgoing> {
        let mut state = self.0.state();
        let item = state.frames.pop_front();
        if state.frames.is_empty() && state.frames.capacity() > 0 {
            // Most sockets wait with nothing queued: they hold no buffer while they wait. The
            // price, one allocation per burst of frames, is small next to the write it feeds.
            state.frames = VecDeque::new();
        }
        item
    }

    /// Whether the session has something to do: frames to write, or an overflow to close on.
    /// One look under the lock, as the session asks this on every wake.
    pub fn wants_writer(&self) -> bool {
        let state = self.0.state();
        !state.frames.is_empty() || state.overflowed
    }

    /// True once the hub found the queue full: the client reads too slowly.
    pub fn is_overflowed(&self) -> bool {
        self.0.state().overflowed
    }

    /// Resolves after an offer or an overflow since the last time it resolved (possibly at
    /// once). Look at the queue before waiting: a wake can be for frames already taken.
    pub async fn changed(&self) {
        self.0.changed.notified().await;
    }

    /// Resolves when the queue overflows.
    pub async fn overflowed(&self) {
        while !self.is_overflowed() {
            self.changed().await;
        }
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        let mut state = self.0.state();
        state.closed = true;
        state.frames = VecDeque::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(item: Outgoing) -> String {
        match item {
            Outgoing::Frame(m) | Outgoing::Leave(m) => m.into_text().unwrap().to_string(),
        }
    }

    #[test]
    fn a_full_queue_overflows_instead_of_growing() {
        let (outbox, inbox) = outbox(2);
        assert!(outbox.offer(Outgoing::Frame(Message::text("1"))));
        assert!(outbox.offer(Outgoing::Frame(Message::text("2"))));
        assert!(!inbox.is_overflowed());
        assert!(!outbox.offer(Outgoing::Frame(Message::text("3"))));
        assert!(inbox.is_overflowed());
        assert!(!outbox.offer(Outgoing::Frame(Message::text("4"))), "stays refused");
        assert!(inbox.try_pop().is_none(), "an overflowed queue drops what it held");
    }

    #[test]
    fn frames_come_out_in_order_and_a_dropped_inbox_refuses_offers() {
        let (outbox, inbox) = outbox(8);
        for n in 1..=3 {
            assert!(outbox.offer(Outgoing::Frame(Message::text(n.to_string()))));
        }
        assert!(inbox.wants_writer());
        let got: Vec<String> = std::iter::from_fn(|| inbox.try_pop()).map(text).collect();
        assert_eq!(got, ["1", "2", "3"]);
        assert!(!inbox.wants_writer());
        drop(inbox);
        assert!(!outbox.offer(Outgoing::Frame(Message::text("late"))));
    }

    #[test]
    fn a_drained_queue_holds_no_buffer() {
        let (outbox, inbox) = outbox(1024);
        for _ in 0..500 {
            outbox.offer(Outgoing::Frame(Message::text("x")));
        }
        assert!(inbox.try_pop().is_some());
        assert!(inbox.0.state().frames.capacity() >= 499, "kept while frames wait");
        while inbox.try_pop().is_some() {}
        assert_eq!(inbox.0.state().frames.capacity(), 0);
    }

    #[tokio::test]
    async fn an_offer_made_before_the_wait_is_not_lost() {
        let (outbox, inbox) = outbox(4);
        outbox.offer(Outgoing::Frame(Message::text("early")));
        tokio::time::timeout(std::time::Duration::from_secs(5), inbox.changed())
            .await
            .expect("the stored wake completes the wait at once");
        assert!(inbox.wants_writer());
    }

    #[tokio::test]
    async fn overflowed_resolves_only_on_overflow() {
        let (outbox, inbox) = outbox(1);
        outbox.offer(Outgoing::Frame(Message::text("fits")));
        let short = std::time::Duration::from_millis(50);
        assert!(tokio::time::timeout(short, inbox.overflowed()).await.is_err());
        outbox.offer(Outgoing::Frame(Message::text("too many")));
        tokio::time::timeout(std::time::Duration::from_secs(5), inbox.overflowed())
            .await
            .expect("overflow wakes the watcher");
    }
}
