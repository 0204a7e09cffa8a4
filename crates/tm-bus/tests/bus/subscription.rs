//! Subscriptions: bindings select rooms, survive reconnects, and recoveries are announced.

use tm_bus::{BusError, CommandQueue, Incoming, QueueKind, SubscribeSpec, Subscription, SubscriptionEvent};
use tm_core::event::room_binding;
use tm_testkit::wait_until;

use crate::helpers::{presence, sources_changed, TestBroker, PATIENCE};

const EXCLUSIVE: SubscribeSpec = SubscribeSpec {
    queue: QueueKind::Exclusive,
    single_active: false,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exclusive_subscription_receives_only_its_rooms() {
    let broker = TestBroker::new().await;
    let mut sub = broker.direct.subscribe(EXCLUSIVE).await.unwrap();
    sub.bind(&room_binding(1)).await.unwrap();
    let publisher = broker.direct.publisher().await.unwrap();

    publisher.publish(&presence(1)).await.unwrap();
    publisher.publish(&presence(2)).await.unwrap();
    publisher.publish(&presence(1)).await.unwrap();

    assert_eq!(next_message(&mut sub).await.routing_key, "room.1.presence");
    assert_eq!(next_message(&mut sub).await.routing_key, "room.1.presence");
    drop(sub);
    broker.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bindings_are_restored_after_a_connection_loss_and_the_gap_is_announced() {
    let broker = TestBroker::new().await;
    let proxy = broker.proxy().await;
    let bus = broker.bus_via(&proxy, "gateway").await;
    let mut sub = bus.subscribe(EXCLUSIVE).await.unwrap();
    sub.bind(&room_binding(1)).await.unwrap();
    sub.bind(&room_binding(2)).await.unwrap();
    sub.unbind(&room_binding(1)).await.unwrap();

    proxy.cut();
    wait_until(PATIENCE, "the bus notices the cut", || !bus.is_connected()).await;
    // A join while the broker is away: refused now, applied at recovery.
    let offline = sub.bind(&room_binding(3)).await;
    assert!(matches!(offline, Err(BusError::Disconnected)), "{offline:?}");
    proxy.restore();

    let first = tokio::time::timeout(PATIENCE, sub.next()).await.unwrap().unwrap();
    assert!(matches!(first, SubscriptionEvent::Recovered), "{first:?}");
    let publisher = broker.direct.publisher().await.unwrap();
    for room in [1, 2, 3] {
        publisher.publish(&presence(room)).await.unwrap();
    }
    // Same exchange, same queue: order is kept, so room 1 would arrive before room 2.
    assert_eq!(next_message(&mut sub).await.routing_key, "room.2.presence");
    assert_eq!(next_message(&mut sub).await.routing_key, "room.3.presence");
    drop(sub);
    bus.close().await;
    broker.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_durable_single_active_subscription_acks_and_only_one_consumer_is_active() {
    let broker = TestBroker::new().await;
    let spec = SubscribeSpec {
        queue: QueueKind::Durable(CommandQueue::IngestSources),
        single_active: true,
    };
    let mut active = broker.direct.subscribe(spec).await.unwrap();
    let standby = broker.direct.subscribe(spec).await.unwrap();
    let publisher = broker.direct.publisher().await.unwrap();
    for room in 0..4 {
        publisher.publish(&sources_changed(room)).await.unwrap();
    }

    for _ in 0..4 {
        let msg = next_message(&mut active).await;
        assert_eq!(msg.routing_key, "sources.changed");
        msg.ack().await.unwrap();
    }
    // Round-robin would have given the standby some of the four: the active one got them all.
    let depth = || broker.direct.queue_depth(CommandQueue::IngestSources);
    assert_eq!(depth().await.unwrap(), 0);
    drop((active, standby));
    broker.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_active_is_refused_on_a_queue_not_declared_for_it() {
    let broker = TestBroker::new().await;
    let spec = SubscribeSpec {
        queue: QueueKind::Durable(CommandQueue::CmsPosts),
        single_active: true,
    };
    assert!(matches!(
        broker.direct.subscribe(spec).await,
        Err(BusError::Unsupported(_))
    ));
    broker.teardown().await;
}

async fn next_message(sub: &mut Subscription) -> Incoming {
    match tokio::time::timeout(PATIENCE, sub.next()).await.unwrap().unwrap() {
        SubscriptionEvent::Message(msg) => msg,
        SubscriptionEvent::Recovered => panic!("unexpected recovery"),
    }
}
