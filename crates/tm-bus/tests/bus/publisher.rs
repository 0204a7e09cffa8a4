//! The confirmed publisher never reports "sent" for a message the broker did not take.

use std::sync::{Arc, Mutex};

use tm_bus::{
    CancellationToken, Exchange, Incoming, PublishError, QueueKind, SubscribeSpec, Subscription, SubscriptionEvent,
};
use tm_core::event::room_binding;
use tm_testkit::wait_until;
use uuid::Uuid;

use crate::helpers::{drain_ids, post, presence, Seen, TestBroker, PATIENCE};

const EXCLUSIVE: SubscribeSpec = SubscribeSpec {
    queue: QueueKind::Exclusive,
    single_active: false,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unroutable_command_is_returned_as_an_error() {
    let broker = TestBroker::new().await;
    let publisher = broker.direct.publisher().await.unwrap();

    let err = publisher
        .publish_raw(
            Exchange::Commands,
            "no.such.command",
            &Uuid::new_v4().to_string(),
            b"{}",
        )
        .await
        .unwrap_err();

    assert!(matches!(err, PublishError::Returned { .. }), "{err:?}");
    // The channel stays usable after a return.
    publisher.publish(&post(1)).await.unwrap();
    broker.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_nobody_listens_to_is_still_confirmed() {
    let broker = TestBroker::new().await;
    let publisher = broker.direct.publisher().await.unwrap();

    let id = Uuid::new_v4().to_string();
    publisher
        .publish_raw(Exchange::Events, "room.42.presence", &id, b"{}")
        .await
        .unwrap();
    broker.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_during_a_cut_fails_and_a_retrying_one_lands_after_restore() {
    let broker = TestBroker::new().await;
    let proxy = broker.proxy().await;
    let bus = broker.bus_via(&proxy, "publisher").await;
    let publisher = bus.publisher().await.unwrap();
    let first = post(0);
    let post_0 = first.id;
    publisher.publish(&first).await.unwrap();

    proxy.cut();
    let err = publisher.publish(&post(1)).await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");

    let pending = post(2);
    let retrying = {
        let publisher = publisher.clone();
        let pending = pending.clone();
        tokio::spawn(async move { publisher.publish_retrying(&pending, &CancellationToken::new()).await })
    };
    wait_until(PATIENCE, "the bus notices the cut", || !bus.is_connected()).await;
    assert!(!retrying.is_finished(), "confirmed while the broker was unreachable");
    proxy.restore();
    tokio::time::timeout(PATIENCE, retrying)
        .await
        .unwrap()
        .unwrap()
        .unwrap();

    // Both confirmed posts are queued. Post 1 may be too: an error means "not confirmed",
    // and the proxy can forward a publish whose confirm it then cannot bring back.
    let mut queued = drain_ids(&broker, 2).await;
    if queued.len() == 2 && !queued.contains(&pending.id) {
        // Post 1 got through too and came before the retried post: one more is queued.
        queued.extend(drain_ids(&broker, 1).await);
    }
    assert!(queued.contains(&post_0) && queued.contains(&pending.id), "{queued:?}");
    bus.close().await;
    broker.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_in_flight_during_a_cut_never_report_false_success() {
    let broker = TestBroker::new().await;
    let proxy = broker.proxy().await;
    let bus = broker.bus_via(&proxy, "publisher").await;
    let publisher = bus.publisher().await.unwrap();
    let confirmed = Seen::default();
    let failed = Arc::new(Mutex::new(Vec::new()));

    // Four tasks publish single attempts back to back; the cut lands among them.
    let stop = CancellationToken::new();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (publisher, confirmed, failed, stop, bus) = (
            publisher.clone(),
            confirmed.clone(),
            failed.clone(),
            stop.clone(),
            bus.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.is_cancelled() {
                let env = post(n);
                n += 1;
                match publisher.publish(&env).await {
                    Ok(()) => confirmed.push(env.id),
                    Err(_) => {
                        failed.lock().unwrap().push(env);
                        // Like the relay: stop hammering until the link is back.
                        wait_until(PATIENCE, "the link is back", || bus.is_connected()).await;
                    }
                }
            }
        }));
    }
    wait_until(PATIENCE, "some publishes are confirmed", || confirmed.count() >= 50).await;
    proxy.cut();
    wait_until(PATIENCE, "publishes fail during the cut", || {
        failed.lock().unwrap().len() >= 4
    })
    .await;
    proxy.restore();
    wait_until(PATIENCE, "publishes confirm again", || bus.is_connected()).await;
    let after_restore = confirmed.count() + 20;
    wait_until(PATIENCE, "more confirms after restore", || {
        confirmed.count() >= after_restore
    })
    .await;
    stop.cancel();
    for task in tasks {
        task.await.unwrap();
    }
    // The failed ones are retried, as an outbox relay would.
    let failed: Vec<_> = std::mem::take(&mut *failed.lock().unwrap());
    for env in &failed {
        publisher
            .publish_retrying(env, &CancellationToken::new())
            .await
            .unwrap();
        confirmed.push(env.id);
    }

    let queued = drain_ids(&broker, confirmed.distinct().len()).await;
    let missing: Vec<_> = confirmed.distinct().difference(&queued).copied().collect();
    assert!(missing.is_empty(), "confirmed but not in the queue: {missing:?}");
    bus.close().await;
    broker.teardown().await;
}

/// `(routing_key, message_id, body)` for `n` events spread over `rooms` rooms.
fn event_batch(n: usize, rooms: usize) -> Vec<(String, String, Vec<u8>)> {
    (0..n)
        .map(|i| {
            let room = i % rooms;
            (
                format!("room.{room}.message.created"),
                Uuid::new_v4().to_string(),
                format!("{{\"n\":{i}}}").into_bytes(),
            )
        })
        .collect()
}

fn borrowed(batch: &[(String, String, Vec<u8>)]) -> Vec<(&str, &str, &[u8])> {
    batch
        .iter()
        .map(|(key, id, body)| (key.as_str(), id.as_str(), body.as_slice()))
        .collect()
}

async fn next_message(sub: &mut Subscription) -> Incoming {
    match tokio::time::timeout(PATIENCE, sub.next()).await.unwrap().unwrap() {
        SubscriptionEvent::Message(msg) => msg,
        SubscriptionEvent::Recovered => panic!("unexpected recovery"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_confirmed_and_reaches_a_consumer_in_slice_order() {
    const TOTAL: usize = 600;
    let broker = TestBroker::new().await;
    let mut sub = broker.direct.subscribe(EXCLUSIVE).await.unwrap();
    for room in 0..7 {
        sub.bind(&room_binding(room)).await.unwrap();
    }
    let publisher = broker.direct.publisher().await.unwrap();
    let batch = event_batch(TOTAL, 7);

    let results = publisher.publish_batch_raw(Exchange::Events, &borrowed(&batch)).await;

    assert_eq!(results.len(), TOTAL);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    for (key, id, body) in &batch {
        let msg = next_message(&mut sub).await;
        assert_eq!((&msg.routing_key, msg.message_id.as_ref()), (key, Some(id)));
        assert_eq!(msg.body.as_ref(), body.as_slice());
    }
    // The channel is fine for single publishes and a second batch afterwards.
    assert!(publisher.publish_batch_raw(Exchange::Events, &[]).await.is_empty());
    publisher.publish(&presence(1)).await.unwrap();
    assert_eq!(next_message(&mut sub).await.routing_key, "room.1.presence");
    drop(sub);
    broker.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_cut_midway_reports_only_confirmed_messages_as_sent() {
    const TOTAL: usize = 3000;
    let broker = TestBroker::new().await;
    let mut sub = broker.direct.subscribe(EXCLUSIVE).await.unwrap();
    sub.bind(&room_binding(0)).await.unwrap();
    let proxy = broker.proxy().await;
    let bus = broker.bus_via(&proxy, "batch").await;
    let publisher = bus.publisher().await.unwrap();
    // Open the channel first, so the cut lands among the publishes.
    publisher.publish(&presence(0)).await.unwrap();
    assert_eq!(next_message(&mut sub).await.routing_key, "room.0.presence");
    let batch = event_batch(TOTAL, 1);

    let publishing = {
        let (publisher, batch) = (publisher.clone(), batch.clone());
        tokio::spawn(async move { publisher.publish_batch_raw(Exchange::Events, &borrowed(&batch)).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    proxy.cut();
    let results = tokio::time::timeout(PATIENCE, publishing).await.unwrap().unwrap();

    assert_eq!(results.len(), TOTAL);
    let first_not_sent = results
        .iter()
        .position(|r| matches!(r, Err(PublishError::NotSent)))
        .unwrap_or(TOTAL);
    assert!(
        results[first_not_sent..]
            .iter()
            .all(|r| matches!(r, Err(PublishError::NotSent))),
        "nothing is sent after a failed send"
    );
    // Every confirmed message is on the broker, and in slice order.
    let confirmed: Vec<&String> = batch
        .iter()
        .zip(&results)
        .filter(|(_, r)| r.is_ok())
        .map(|((_, id, _), _)| id)
        .collect();
    let mut missing: std::collections::HashSet<&String> = confirmed.iter().copied().collect();
    let mut received = Vec::new();
    while !missing.is_empty() {
        let id = next_message(&mut sub).await.message_id.unwrap();
        missing.remove(&id);
        received.push(id);
    }
    let positions: Vec<usize> = received
        .iter()
        .map(|id| batch.iter().position(|(_, b, _)| b == id).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "slice order on the broker");
    assert!(results.iter().any(Result::is_err), "the cut landed within the batch");
    proxy.restore();
    drop(sub);
    bus.close().await;
    broker.teardown().await;
}
