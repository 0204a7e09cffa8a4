//! Test support: fake Twitter and Mastodon servers, a stand-in for the CMS's side of the bus
//! (it answers `sources.snapshot.request` and collects `ingest.item` from `cms.ingest` on the
//! real RabbitMQ), a recording sleeper, and a handle on a running ingester.

#![allow(dead_code)]

pub use tm_testkit::{fake_jetstream, fake_mastodon, fake_twitter};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use tm_bus::BusConfig;
use tm_bus::{Bus, CommandQueue, HandleError, Publisher};
use tm_core::event::{IngestItem, IngestRetract, RoomId, RoomSources, SourcesChanged, SourcesSnapshot};
use tm_core::{Envelope, Event, RawEnvelope};
use tm_ingest::clock::{SleepFuture, Sleeper};
use tm_ingest::config::DEFAULTS;
use tm_ingest::metrics::SharedMetrics;
use tm_ingest::{Application, Settings};
use tm_runtime::{load_config, ConfigSources, Shutdown};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use tm_testkit::{amqp_addr, amqp_url, init_test_tracing, unique_prefix, wait_until, wait_until_async, ChaosProxy};
/// Generous for a loaded 2-core machine; conditions usually hold in well under a second.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// Records every reconnect wait and returns at once: the reconnect table is checked exactly,
/// with no wall-clock sleeping.
#[derive(Clone, Default)]
pub struct RecordingSleeper {
    waits: Arc<Mutex<Vec<Duration>>>,
}

impl RecordingSleeper {
    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().unwrap().clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, wait: Duration) -> SleepFuture<'_> {
        self.waits.lock().unwrap().push(wait);
        Box::pin(tokio::task::yield_now())
    }
}

/// A test's own bus connection; fails the test clearly if the shared broker does not answer.
pub async fn connect_bus(prefix: &str, name: &str) -> Bus {
    tokio::time::timeout(
        Duration::from_secs(30),
        Bus::connect(&BusConfig::for_test(prefix), name),
    )
    .await
    .expect("the test RabbitMQ (tm_testkit::amqp_url) accepts a connection within 30 s")
    .unwrap()
}

/// Ingester settings for a test: defaults, the test's prefix, quick rule pacing, port 0.
pub fn settings(prefix: &str) -> Settings {
    let sources = ConfigSources {
        system_file: None,
        environment: false,
        ..ConfigSources::standard("ingest", DEFAULTS, None)
    };
    let mut s: Settings = load_config(&sources).unwrap();
    s.bus = BusConfig::for_test(prefix);
    s.http.bind = "127.0.0.1:0".into();
    s.lock.retry_secs = 1;
    s.lock.reacquire_ms = 200;
    s.delivery.retry_ms = 100;
    s.twitter.rule_request_interval_ms = 10;
    s.twitter.rules_debounce_ms = 50;
    s
}

pub fn with_twitter(mut s: Settings, fake: &fake_twitter::FakeTwitter) -> Settings {
    s.twitter.bearer_token = tm_runtime::Secret::new(fake_twitter::TOKEN.to_owned());
    s.twitter.base_url = fake.base_url();
    s
}

pub fn with_bluesky(mut s: Settings, fake: &fake_jetstream::FakeJetstream) -> Settings {
    s.bluesky.endpoints = vec![fake.endpoint()];
    s.bluesky.cursor_save_ms = 50;
    s
}

pub fn with_mastodon(mut s: Settings, fake: &fake_mastodon::FakeMastodon) -> Settings {
    s.mastodon.streaming_url = fake.streaming_url();
    s.mastodon.access_token = tm_runtime::Secret::new(fake_mastodon::TOKEN.to_owned());
    s
}

/// A running ingester inside the test process.
pub struct TestIngester {
    pub metrics: SharedMetrics,
    pub http_port: u16,
    pub sleeper: RecordingSleeper,
    stop: Shutdown,
    task: JoinHandle<()>,
}

impl TestIngester {
    pub async fn spawn(settings: Settings) -> TestIngester {
        let sleeper = RecordingSleeper::default();
        let app = Application::build(settings)
            .await
            .unwrap()
            .with_sleeper(Arc::new(sleeper.clone()));
        let (metrics, http_port) = (app.metrics(), app.http_port());
        let stop = Shutdown::new();
        let s = stop.clone();
        let task = tokio::spawn(async move { app.run_until_stopped(s).await.unwrap() });
        TestIngester {
            metrics,
            http_port,
            sleeper,
            stop,
            task,
        }
    }

    pub fn is_active(&self) -> bool {
        self.metrics.active.load(Ordering::Relaxed)
    }

    /// Graceful stop: sources stop, the lock is released, the buffer drains. Must finish.
    pub async fn stop(self) {
        self.stop.trigger();
        tokio::time::timeout(Duration::from_secs(15), self.task)
            .await
            .expect("the ingester stops within 15 s")
            .expect("the ingester task ends cleanly");
    }

    /// `GET path` on the ops listener: (status line, body).
    pub async fn get(&self, path: &str) -> (String, String) {
        let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", self.http_port))
            .await
            .unwrap();
        conn.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut raw = String::new();
        conn.read_to_string(&mut raw).await.unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        (head.lines().next().unwrap().to_owned(), body.to_owned())
    }
}

/// Plays the CMS's part on the bus: answers snapshot requests from its room list, publishes
/// `sources.changed`, and collects the `ingest.item` commands that reach `cms.ingest`.
pub struct CmsStandIn {
    pub bus: Bus,
    prefix: String,
    finished: bool,
    publisher: Publisher,
    rooms: Arc<Mutex<Vec<RoomSources>>>,
    items: Arc<Mutex<Vec<IngestItem>>>,
    retracts: Arc<Mutex<Vec<IngestRetract>>>,
    snapshot_requests: Arc<AtomicUsize>,
    stop: CancellationToken,
}

impl CmsStandIn {
    pub async fn start(prefix: &str) -> CmsStandIn {
        let bus = connect_bus(prefix, "cms-stand-in").await;
        let publisher = bus.publisher().await.unwrap();
        let (rooms, items) = (Arc::new(Mutex::new(Vec::new())), Arc::new(Mutex::new(Vec::new())));
        let snapshot_requests = Arc::new(AtomicUsize::new(0));
        let stop = CancellationToken::new();

        let retracts = Arc::new(Mutex::new(Vec::new()));
        let (sink, retract_sink) = (items.clone(), retracts.clone());
        let collect = move |env: RawEnvelope| {
            let (sink, retract_sink) = (sink.clone(), retract_sink.clone());
            async move {
                if env.kind == IngestRetract::TYPE {
                    let env = env.decode::<IngestRetract>().map_err(HandleError::poison)?;
                    retract_sink.lock().unwrap().push(env.payload);
                    return Ok(());
                }
                let env = env.decode::<IngestItem>().map_err(HandleError::poison)?;
                sink.lock().unwrap().push(env.payload);
                Ok(())
            }
        };
        let b = bus.clone();
        let s = stop.clone();
        tokio::spawn(async move { b.consume(CommandQueue::CmsIngest, collect, s).await });

        let (p, r, n) = (publisher.clone(), rooms.clone(), snapshot_requests.clone());
        let answer = move |_env: RawEnvelope| {
            let (p, r, n) = (p.clone(), r.clone(), n.clone());
            async move {
                n.fetch_add(1, Ordering::SeqCst);
                let snapshot = SourcesSnapshot {
                    rooms: r.lock().unwrap().clone(),
                };
                p.publish(&Envelope::new("tm-cms", snapshot))
                    .await
                    .map_err(HandleError::transient)
            }
        };
        let b = bus.clone();
        let s = stop.clone();
        tokio::spawn(async move { b.consume(CommandQueue::CmsControl, answer, s).await });
        CmsStandIn {
            bus,
            prefix: prefix.to_owned(),
            finished: false,
            publisher,
            rooms,
            items,
            retracts,
            snapshot_requests,
            stop,
        }
    }

    /// Sets the rooms a snapshot will report (before the ingester asks).
    pub fn with_rooms(self, rooms: &[(RoomId, &[&str])]) -> Self {
        *self.rooms.lock().unwrap() = rooms
            .iter()
            .map(|(id, tags)| RoomSources {
                room_id: *id,
                hashtags: tags.iter().map(|t| t.to_string()).collect(),
            })
            .collect();
        self
    }

    /// A room's hashtags changed: update the list and publish `sources.changed`.
    pub async fn change_room(&self, room_id: RoomId, tags: &[&str]) {
        let hashtags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        {
            let mut rooms = self.rooms.lock().unwrap();
            rooms.retain(|r| r.room_id != room_id);
            if !hashtags.is_empty() {
                rooms.push(RoomSources {
                    room_id,
                    hashtags: hashtags.clone(),
                });
            }
        }
        self.publisher
            .publish(&Envelope::new("tm-cms", SourcesChanged { room_id, hashtags }))
            .await
            .unwrap();
    }

    pub fn items(&self) -> Vec<IngestItem> {
        self.items.lock().unwrap().clone()
    }

    pub fn item(&self, external_id: &str) -> Option<IngestItem> {
        self.items().into_iter().find(|i| i.external_id == external_id)
    }

    pub fn retracts(&self) -> Vec<IngestRetract> {
        self.retracts.lock().unwrap().clone()
    }

    /// How many times an item with this external id arrived.
    pub fn count(&self, external_id: &str) -> usize {
        self.items().iter().filter(|i| i.external_id == external_id).count()
    }

    pub fn snapshot_requests(&self) -> usize {
        self.snapshot_requests.load(Ordering::SeqCst)
    }

    /// Stops consuming and deletes the test's topology (bounded: a wedged broker must not hang
    /// the test run).
    pub async fn finish(mut self) {
        self.stop.cancel();
        let cleanup = async {
            let _ = self.bus.delete_topology().await;
            self.bus.close().await;
        };
        let _ = tokio::time::timeout(Duration::from_secs(10), cleanup).await;
        self.finished = true;
    }
}

impl Drop for CmsStandIn {
    /// A failing test never reaches `finish`: delete its quorum queues anyway, from a thread of
    /// its own (the test's runtime may be unwinding), so failures leak nothing on the broker.
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let prefix = self.prefix.clone();
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            rt.block_on(async {
                let delete = async {
                    let bus = Bus::connect(&BusConfig::for_test(&prefix), "test-cleanup").await.ok()?;
                    let _ = bus.delete_topology().await;
                    bus.close().await;
                    Some(())
                };
                let _ = tokio::time::timeout(Duration::from_secs(10), delete).await;
            });
        });
        let _ = cleanup.join();
    }
}
