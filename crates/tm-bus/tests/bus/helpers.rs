//! Arrange helpers: a per-test broker namespace, buses direct or through a chaos proxy, and
//! envelopes with recognisable content.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use time::OffsetDateTime;
use tm_bus::{Bus, BusConfig, CommandQueue, QueueKind, SubscribeSpec, SubscriptionEvent};
use tm_core::event::{Envelope, PostSubmit, Presence, SourcesChanged};
use tm_testkit::{amqp_addr, init_test_tracing, unique_prefix, ChaosProxy};
use uuid::Uuid;

/// Upper bound for anything a test waits for.
pub const PATIENCE: Duration = Duration::from_secs(40);

/// One test's own namespace on the shared broker.
pub struct TestBroker {
    pub prefix: String,
    /// A bus that bypasses any proxy: for arranging and asserting.
    pub direct: Bus,
    torn_down: bool,
}

impl TestBroker {
    pub async fn new() -> TestBroker {
        init_test_tracing();
        assert_broker_answers().await;
        let prefix = unique_prefix();
        let cfg = BusConfig::for_test(&prefix);
        let direct = tokio::time::timeout(PATIENCE, Bus::connect(&cfg, "test-direct"))
            .await
            .expect("broker reachable")
            .expect("valid config");
        TestBroker {
            prefix,
            direct,
            torn_down: false,
        }
    }

    /// A second bus under the same prefix, connected through `proxy`.
    pub async fn bus_via(&self, proxy: &ChaosProxy, name: &str) -> Bus {
        let bus = Bus::start(&BusConfig::for_test_via(&self.prefix, proxy.addr()), name).unwrap();
        tokio::time::timeout(PATIENCE, bus.wait_connected())
            .await
            .unwrap()
            .unwrap();
        bus
    }

    pub async fn proxy(&self) -> ChaosProxy {
        ChaosProxy::start(amqp_addr()).await.unwrap()
    }

    /// Best-effort cleanup of everything the test declared.
    pub async fn teardown(mut self) {
        if let Err(err) = self.direct.delete_topology().await {
            tracing::warn!(error = %err, prefix = %self.prefix, "teardown failed");
        }
        self.direct.close().await;
        self.torn_down = true;
    }
}

impl Drop for TestBroker {
    /// A test that panicked skipped `teardown`: clean up from a thread with its own runtime.
    fn drop(&mut self) {
        if self.torn_down {
            return;
        }
        let cfg = BusConfig::for_test(&self.prefix);
        let cleanup = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let connect = Bus::connect(&cfg, "test-cleanup");
                if let Ok(Ok(bus)) = tokio::time::timeout(Duration::from_secs(10), connect).await {
                    let _ = bus.delete_topology().await;
                    bus.close().await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// Fails fast, and says why, when RabbitMQ is up but not speaking AMQP (e.g. out of sockets).
async fn assert_broker_answers() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let answer = tokio::time::timeout(Duration::from_secs(15), async {
        let mut socket = tokio::net::TcpStream::connect(amqp_addr()).await?;
        socket.write_all(b"AMQP\x00\x00\x09\x01").await?;
        socket.read(&mut [0u8; 1]).await
    })
    .await;
    assert!(
        matches!(answer, Ok(Ok(n)) if n > 0),
        "RabbitMQ at {} does not answer the AMQP header ({answer:?}); if TCP connects but \
         nothing comes back, it is probably out of socket slots: see /var/log/rabbitmq",
        amqp_addr()
    );
}

pub fn post(n: usize) -> Envelope<PostSubmit> {
    Envelope::new(
        "test",
        PostSubmit {
            room_id: 1,
            nickname: format!("user{n}"),
            participant_id: "p".to_owned(),
            body: format!("post {n}"),
            client_id: Uuid::new_v4(),
            received_at: OffsetDateTime::now_utc(),
        },
    )
}

pub fn presence(room_id: u64) -> Envelope<Presence> {
    Envelope::new(
        "test",
        Presence {
            room_id,
            gateway_id: Uuid::new_v4(),
            count: 1,
        },
    )
}

pub fn sources_changed(room_id: u64) -> Envelope<SourcesChanged> {
    Envelope::new(
        "test",
        SourcesChanged {
            room_id,
            hashtags: vec!["rust".to_owned()],
        },
    )
}

/// Envelope ids seen by a handler, shareable with the test body.
#[derive(Clone, Default)]
pub struct Seen(Arc<Mutex<Vec<Uuid>>>);

impl Seen {
    pub fn push(&self, id: Uuid) {
        self.0.lock().unwrap().push(id);
    }
    pub fn all(&self) -> Vec<Uuid> {
        self.0.lock().unwrap().clone()
    }
    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
    pub fn distinct(&self) -> HashSet<Uuid> {
        self.0.lock().unwrap().iter().copied().collect()
    }
}

/// Reads message ids from `cms.posts` (direct connection) until `at_least` distinct ids.
pub async fn drain_ids(broker: &TestBroker, at_least: usize) -> HashSet<Uuid> {
    let mut sub = broker
        .direct
        .subscribe(SubscribeSpec {
            queue: QueueKind::Durable(CommandQueue::CmsPosts),
            single_active: false,
        })
        .await
        .unwrap();
    let mut ids = HashSet::new();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while ids.len() < at_least {
        let event = tokio::time::timeout_at(deadline, sub.next())
            .await
            .expect("drained in time");
        if let Some(SubscriptionEvent::Message(msg)) = event {
            ids.insert(msg.message_id.as_deref().unwrap().parse().unwrap());
            msg.ack().await.unwrap();
        }
    }
    ids
}
