//! The acking consumer: ack after success, retry in place on transient errors, dead-letter
//! only what can never be processed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tm_bus::{CancellationToken, CommandQueue, Exchange, HandleError};
use tm_core::event::{PostSubmit, RawEnvelope};
use tm_testkit::{wait_until, wait_until_async};

use crate::helpers::{post, Seen, TestBroker, PATIENCE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_is_handled_once_and_acked() {
    let broker = TestBroker::new().await;
    let bus = broker.direct.clone();
    let publisher = bus.publisher().await.unwrap();
    let sent: Vec<_> = (0..20).map(post).collect();
    for env in &sent {
        publisher.publish(env).await.unwrap();
    }

    let seen = Seen::default();
    let shutdown = CancellationToken::new();
    let consumer = tokio::spawn({
        let (bus, seen, shutdown) = (bus.clone(), seen.clone(), shutdown.clone());
        async move {
            let handler = move |env: RawEnvelope| {
                let seen = seen.clone();
                async move {
                    seen.push(env.decode::<PostSubmit>().unwrap().id);
                    Ok(())
                }
            };
            bus.consume(CommandQueue::CmsPosts, handler, shutdown).await
        }
    });

    wait_until(PATIENCE, "all 20 are handled", || seen.count() == 20).await;
    shutdown.cancel();
    tokio::time::timeout(PATIENCE, consumer)
        .await
        .unwrap()
        .unwrap()
        .unwrap();

    // In queue order, each once, and nothing left behind or dead-lettered.
    assert_eq!(seen.all(), sent.iter().map(|e| e.id).collect::<Vec<_>>());
    assert_eq!(bus.queue_depth(CommandQueue::CmsPosts).await.unwrap(), 0);
    assert_eq!(bus.dead_letter_depth(CommandQueue::CmsPosts).await.unwrap(), 0);
    broker.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transient_error_retries_the_same_delivery_and_never_dead_letters() {
    let broker = TestBroker::new().await;
    let bus = broker.direct.clone();
    let publisher = bus.publisher().await.unwrap();
    let env = post(1);
    publisher.publish(&env).await.unwrap();

    // More failures than the delivery limit (5): a requeue-based retry would dead-letter it.
    let failures_left = Arc::new(AtomicUsize::new(8));
    let calls = Seen::default();
    let shutdown = CancellationToken::new();
    let consumer = tokio::spawn({
        let (bus, calls, failures_left, shutdown) =
            (bus.clone(), calls.clone(), failures_left.clone(), shutdown.clone());
        async move {
            let handler = move |env: RawEnvelope| {
                let (calls, failures_left) = (calls.clone(), failures_left.clone());
                async move {
                    calls.push(env.id);
                    let fail = failures_left
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    if fail {
                        Err(HandleError::transient("database is down"))
                    } else {
                        Ok(())
                    }
                }
            };
            bus.consume(CommandQueue::CmsPosts, handler, shutdown).await
        }
    });

    wait_until(PATIENCE, "the handler finally succeeds", || calls.count() == 9).await;
    wait_until_async(PATIENCE, "the message is acked", || async {
        bus.queue_depth(CommandQueue::CmsPosts).await.unwrap() == 0
    })
    .await;
    shutdown.cancel();
    tokio::time::timeout(PATIENCE, consumer)
        .await
        .unwrap()
        .unwrap()
        .unwrap();

    assert!(calls.all().iter().all(|id| *id == env.id));
    assert_eq!(bus.dead_letter_depth(CommandQueue::CmsPosts).await.unwrap(), 0);
    broker.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_goes_to_the_dead_letter_queue_after_one_delivery_while_valid_ones_flow() {
    let broker = TestBroker::new().await;
    let bus = broker.direct.clone();
    let publisher = bus.publisher().await.unwrap();
    let valid: Vec<_> = (0..3).map(post).collect();
    let mut rejected_by_handler = post(99);
    rejected_by_handler.payload.body = "POISON".to_owned();

    publisher.publish(&valid[0]).await.unwrap();
    publisher
        .publish_raw(Exchange::Commands, "post.submit", "garbage-1", b"not an envelope")
        .await
        .unwrap();
    publisher.publish(&valid[1]).await.unwrap();
    publisher.publish(&rejected_by_handler).await.unwrap();
    publisher.publish(&valid[2]).await.unwrap();

    let handled = Seen::default();
    let poison_calls = Arc::new(AtomicUsize::new(0));
    let shutdown = CancellationToken::new();
    let consumer = tokio::spawn({
        let (bus, handled, poison_calls, shutdown) =
            (bus.clone(), handled.clone(), poison_calls.clone(), shutdown.clone());
        async move {
            let handler = move |env: RawEnvelope| {
                let (handled, poison_calls) = (handled.clone(), poison_calls.clone());
                async move {
                    let post = env.decode::<PostSubmit>().map_err(HandleError::poison)?;
                    if post.payload.body == "POISON" {
                        poison_calls.fetch_add(1, Ordering::SeqCst);
                        return Err(HandleError::poison("body is not acceptable"));
                    }
                    handled.push(post.id);
                    Ok(())
                }
            };
            bus.consume(CommandQueue::CmsPosts, handler, shutdown).await
        }
    });

    wait_until(PATIENCE, "the valid posts are handled", || handled.count() == 3).await;
    wait_until_async(PATIENCE, "both poison messages are dead-lettered", || async {
        bus.dead_letter_depth(CommandQueue::CmsPosts).await.unwrap() == 2
    })
    .await;
    shutdown.cancel();
    tokio::time::timeout(PATIENCE, consumer)
        .await
        .unwrap()
        .unwrap()
        .unwrap();

    assert_eq!(handled.all(), valid.iter().map(|e| e.id).collect::<Vec<_>>());
    assert_eq!(
        poison_calls.load(Ordering::SeqCst),
        1,
        "poison was handed over exactly once"
    );
    assert_eq!(bus.queue_depth(CommandQueue::CmsPosts).await.unwrap(), 0);
    // Each dead letter says why it is there, and is the message as it was sent.
    let garbage = bus.take_dead_letter(CommandQueue::CmsPosts).await.unwrap().unwrap();
    assert_eq!(garbage.message_id.as_deref(), Some("garbage-1"));
    assert_eq!(garbage.body, b"not an envelope");
    assert!(
        garbage
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with("not an envelope")),
        "{garbage:?}"
    );
    let refused = bus.take_dead_letter(CommandQueue::CmsPosts).await.unwrap().unwrap();
    assert_eq!(refused.message_id, Some(rejected_by_handler.id.to_string()));
    assert_eq!(refused.reason.as_deref(), Some("body is not acceptable"));
    broker.teardown().await;
}

/// Issue 14: a message that keeps failing on its own trouble (a deadlock, a lock wait timeout on
/// one room) was retried forever in place, with everything behind it waiting. After a few
/// retries it now goes to the back of the queue: the messages behind it are handled first, and
/// it is handled too once its trouble is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contended_message_moves_to_the_back_and_holds_up_nothing() {
    let broker = TestBroker::new().await;
    let bus = broker.direct.clone();
    let publisher = bus.publisher().await.unwrap();
    let stuck = post(0);
    let behind: Vec<_> = (1..3).map(post).collect();
    publisher.publish(&stuck).await.unwrap();
    for env in &behind {
        publisher.publish(env).await.unwrap();
    }

    // The stuck message fails until the others have been handled.
    let handled = Seen::default();
    let stuck_calls = Arc::new(AtomicUsize::new(0));
    let shutdown = CancellationToken::new();
    let consumer = tokio::spawn({
        let (bus, handled, stuck_calls, shutdown) =
            (bus.clone(), handled.clone(), stuck_calls.clone(), shutdown.clone());
        let stuck_id = stuck.id;
        async move {
            let handler = move |env: RawEnvelope| {
                let (handled, stuck_calls) = (handled.clone(), stuck_calls.clone());
                async move {
                    if env.id == stuck_id && handled.count() < 2 {
                        stuck_calls.fetch_add(1, Ordering::SeqCst);
                        return Err(HandleError::contended("lock wait timeout on room 7"));
                    }
                    handled.push(env.id);
                    Ok(())
                }
            };
            bus.consume(CommandQueue::CmsPosts, handler, shutdown).await
        }
    });

    wait_until(PATIENCE, "all three handled", || handled.count() == 3).await;
    wait_until_async(PATIENCE, "the queue is empty", || async {
        bus.queue_depth(CommandQueue::CmsPosts).await.unwrap() == 0
    })
    .await;
    shutdown.cancel();
    tokio::time::timeout(PATIENCE, consumer)
        .await
        .unwrap()
        .unwrap()
        .unwrap();

    let mut expected: Vec<_> = behind.iter().map(|e| e.id).collect();
    expected.push(stuck.id);
    assert_eq!(handled.all(), expected, "the others did not wait for the stuck one");
    assert_eq!(
        stuck_calls.load(Ordering::SeqCst),
        tm_bus::CONTENDED_RETRIES as usize + 1,
        "a few retries in place, then to the back"
    );
    assert_eq!(bus.dead_letter_depth(CommandQueue::CmsPosts).await.unwrap(), 0);
    broker.teardown().await;
}

/// A handler that takes batches: records each batch it was offered, and every message it kept,
/// in the order it kept them (`handled`); `accept` says whether it keeps a batch (true) or hands
/// it back to be handled one by one (false).
#[derive(Clone)]
struct Batching {
    batches: Arc<std::sync::Mutex<Vec<Vec<uuid::Uuid>>>>,
    handled: Seen,
    accept: bool,
}

impl tm_bus::Handler for Batching {
    async fn handle(&self, env: RawEnvelope) -> Result<(), HandleError> {
        let post = env.decode::<PostSubmit>().map_err(HandleError::poison)?;
        if post.payload.body == "POISON" {
            return Err(HandleError::poison("body is not acceptable"));
        }
        self.handled.push(post.id);
        Ok(())
    }

    fn max_batch(&self) -> usize {
        8
    }

    async fn handle_batch(&self, envs: &[RawEnvelope]) -> bool {
        self.batches
            .lock()
            .unwrap()
            .push(envs.iter().map(|env| env.id).collect());
        if self.accept {
            for env in envs {
                self.handled.push(env.id);
            }
        }
        self.accept
    }
}

/// Starts consuming `cms.posts` with `handler` once 20 posts (and `extra`) wait in the queue.
async fn consume_backlog(handler: Batching, extra: Option<tm_core::event::Envelope<PostSubmit>>) -> Vec<uuid::Uuid> {
    let broker = TestBroker::new().await;
    let bus = broker.direct.clone();
    let publisher = bus.publisher().await.unwrap();
    let mut sent: Vec<_> = (0..20).map(post).collect();
    if let Some(extra) = extra {
        sent.insert(10, extra);
    }
    for env in &sent {
        publisher.publish(env).await.unwrap();
    }
    let shutdown = CancellationToken::new();
    let consumer = tokio::spawn({
        let (bus, handler, shutdown) = (bus.clone(), handler.clone(), shutdown.clone());
        async move { bus.consume(CommandQueue::CmsPosts, handler, shutdown).await }
    });
    wait_until_async(PATIENCE, "the queue is drained and acked", || async {
        bus.queue_depth(CommandQueue::CmsPosts).await.unwrap() == 0 && handler.handled.count() >= 20
    })
    .await;
    // Nothing comes back: a batch acked with `multiple` acked every delivery in it.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    shutdown.cancel();
    tokio::time::timeout(PATIENCE, consumer)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let unacked = bus.queue_depth(CommandQueue::CmsPosts).await.unwrap();
    assert_eq!(unacked, 0, "every delivery was acked");
    broker.teardown().await;
    sent.iter().map(|e| e.id).collect()
}

/// A backlog reaches a batching handler in batches of what was ready (never above its maximum),
/// in queue order, each message once; the acks of a kept batch cover all of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_is_handed_over_in_batches_in_order_and_acked_once() {
    let handler = Batching {
        batches: Arc::default(),
        handled: Seen::default(),
        accept: true,
    };
    let sent = consume_backlog(handler.clone(), None).await;
    let batches = handler.batches.lock().unwrap().clone();
    assert_eq!(handler.handled.all(), sent, "each once, in queue order: {batches:?}");
    assert!(batches.iter().all(|b| b.len() > 1 && b.len() <= 8), "{batches:?}");
    assert!(!batches.is_empty(), "a backlog of 20 came in batches");
}

/// A batch the handler does not keep is handled one delivery at a time, each for its own
/// reason: the good ones handled, the poison one dead-lettered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_handed_back_is_handled_one_by_one() {
    let handler = Batching {
        batches: Arc::default(),
        handled: Seen::default(),
        accept: false,
    };
    let mut poison = post(99);
    poison.payload.body = "POISON".to_owned();
    let sent = consume_backlog(handler.clone(), Some(poison.clone())).await;
    let good: Vec<_> = sent.into_iter().filter(|id| *id != poison.id).collect();
    assert_eq!(handler.handled.all(), good, "each good one once, in order");
    assert!(
        !handler.batches.lock().unwrap().is_empty(),
        "the batch was offered first"
    );
}
