//! The bounded queue between the hub and one socket.
//!
//! The hub never waits on a socket: it offers a frame and moves on. A full queue means the
//! client reads too slowly to keep up, so the hub trips the socket's `overflow` token and the
//! session closes with 1013 instead of letting memory grow.

use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

/// What the hub sends a socket.
#[derive(Debug)]
pub enum Outgoing {
    /// A frame to write.
    Frame(Message),
    /// A frame to write, after which the socket is no longer in its room (a `reset`).
    Leave(Message),
}

/// The hub's end of a socket's queue.
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: mpsc::Sender<Outgoing>,
    overflow: CancellationToken,
}

/// The session's end.
#[derive(Debug)]
pub struct Inbox {
    pub rx: mpsc::Receiver<Outgoing>,
    /// Tripped when the hub found the queue full.
    pub overflow: CancellationToken,
}

/// A queue of `capacity` frames for one socket.
pub fn outbox(capacity: usize) -> (Outbox, Inbox) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let overflow = CancellationToken::new();
    (
        Outbox {
            tx,
            overflow: overflow.clone(),
        },
        Inbox { rx, overflow },
    )
}

impl Outbox {
    /// Queues `item`; false if the socket is gone or too slow (then it is being closed).
    pub(crate) fn offer(&self, item: Outgoing) -> bool {
        match self.tx.try_send(item) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.overflow.cancel();
                false
            }
            Err(TrySendError::Closed(_)) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_trips_overflow_instead_of_growing() {
        let (outbox, inbox) = outbox(2);
        assert!(outbox.offer(Outgoing::Frame(Message::text("1"))));
        assert!(outbox.offer(Outgoing::Frame(Message::text("2"))));
        assert!(!inbox.overflow.is_cancelled());
        assert!(!outbox.offer(Outgoing::Frame(Message::text("3"))));
        assert!(inbox.overflow.is_cancelled());
    }
}
