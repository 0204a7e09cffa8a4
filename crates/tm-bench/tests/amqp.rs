//! The tm-gateway publisher against the real RabbitMQ (`tm_testkit::amqp_url()`), under a prefix of its
//! own: a consumer bound like a gateway (`room.<id>.#` on `<prefix>tm.events`) gets
//! `message.created` envelopes with seqs 1, 2, 3… per room, in order, bodies intact.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tm_bench::publisher::{connect_bus, make_body, AmqpOpts, AmqpPublisher, PublishVia, Publisher};
use tm_bench::target::{room_id, TargetKind};
use tm_bus::{Bus, BusConfig, QueueKind, SubscribeSpec, Subscription, SubscriptionEvent};
use tm_core::event::{room_binding, MessageCreated, MessageKind, RawEnvelope};
use tm_core::Event;
use tm_testkit::{amqp_url, unique_prefix};

const PATIENCE: Duration = Duration::from_secs(30);

/// Deletes the test's prefixed topology, also when an assertion failed midway.
struct Topology(Option<Bus>);

impl Topology {
    async fn teardown(mut self) {
        if let Some(bus) = self.0.take() {
            bus.delete_topology().await.unwrap();
            bus.close().await;
        }
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        let Some(bus) = self.0.take() else { return };
        // Unwinding from a failed assertion on the runtime's thread: wait for the cleanup there.
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(async {
                let _ = bus.delete_topology().await;
                bus.close().await;
            });
        });
    }
}

async fn next_created(sub: &mut Subscription) -> (String, MessageCreated) {
    loop {
        let event = tokio::time::timeout(PATIENCE, sub.next())
            .await
            .expect("a message in time")
            .expect("subscription open");
        if let SubscriptionEvent::Message(m) = event {
            let env = RawEnvelope::from_slice(&m.body).unwrap();
            if env.kind == MessageCreated::TYPE {
                return (m.routing_key, env.decode::<MessageCreated>().unwrap().payload);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_message_created_in_seq_order_per_room() {
    let prefix = unique_prefix();
    let consumer = connect_bus(&BusConfig::for_test(&prefix), "tm-bench-test")
        .await
        .unwrap();
    let topology = Topology(Some(consumer.clone()));
    let mut sub = consumer
        .subscribe(SubscribeSpec {
            queue: QueueKind::Exclusive,
            single_active: false,
        })
        .await
        .unwrap();
    let (watched, other) = ("amqp-a", "amqp-b");
    sub.bind(&room_binding(room_id(watched))).await.unwrap();

    let opts = AmqpOpts {
        amqp_url: amqp_url(),
        bus_prefix: prefix.clone(),
    };
    let mut publisher = Publisher::Amqp(AmqpPublisher::new(&opts));
    assert_eq!(Publisher::name_for(TargetKind::Gateway, PublishVia::Ws), "amqp");
    let rooms = [watched.to_string(), other.to_string()];
    publisher.prepare(&rooms).await.unwrap();
    let bodies: Vec<Vec<u8>> = (0..20u64).map(|i| make_body(1_000 + i, 300)).collect();
    for (i, body) in bodies.iter().enumerate() {
        publisher.publish(watched, body).await.unwrap();
        // Interleaved traffic for another room must neither arrive nor shift this room's seqs.
        if i % 3 == 0 {
            publisher.publish(other, b"{\"t\":1}").await.unwrap();
        }
    }

    let mut ids = std::collections::HashSet::new();
    for (i, body) in bodies.iter().enumerate() {
        let (key, created) = next_created(&mut sub).await;
        assert_eq!(key, format!("room.{}.message.created", room_id(watched)));
        assert_eq!(created.room_id, room_id(watched));
        assert_eq!(created.message.seq, i as u64 + 1);
        assert_eq!(created.message.room, watched);
        assert_eq!(created.message.kind, MessageKind::Post);
        assert_eq!(created.message.body.as_bytes(), body.as_slice());
        assert!(ids.insert(created.message.id), "message ids are unique");
    }
    // Nothing else is queued for the watched room (the other room's messages were not routed).
    let extra = tokio::time::timeout(Duration::from_millis(500), sub.next()).await;
    assert!(!matches!(extra, Ok(Some(SubscriptionEvent::Message(_)))), "{extra:?}");

    publisher.close().await;
    drop(sub);
    topology.teardown().await;
}
