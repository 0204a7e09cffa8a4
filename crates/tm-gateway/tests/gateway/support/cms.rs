//! What the CMS puts on the bus and takes from it, spoken through the real tm-bus: room events
//! published to `tm.events` exactly as its relay would, `post.submit` commands read from
//! `cms.posts`, and `room.head.request`s on `cms.control` answered with the newest seq these
//! tests published for the room (as the CMS answers with its stored seq). This is the stimulus
//! and the observation point of the tests, not a CMS.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use std::time::Duration;

use tm_bus::{Bus, CommandQueue, Publisher, QueueKind, SubscribeSpec, Subscription, SubscriptionEvent};
use tm_core::event::{
    Envelope, Event, Message, MessageCreated, MessageKind, Moderation, PostSubmit, RawEnvelope, RoomHead,
    RoomHeadRequest, RoomId, RoomState, RoomUpdated, Seq,
};
use tm_core::parse_body;

use super::PATIENCE;

/// A room as the tests name it.
#[derive(Debug, Clone)]
pub struct Room {
    pub id: RoomId,
    pub slug: String,
}

impl Room {
    /// A room with a random id (the prefix already isolates tests; this keeps logs readable).
    pub fn new(slug: &str) -> Room {
        Room {
            id: rand_id(),
            slug: slug.to_owned(),
        }
    }
}

fn rand_id() -> RoomId {
    u64::from(uuid::Uuid::new_v4().as_u128() as u32) + 1
}

pub struct Cms {
    bus: Bus,
    publisher: Publisher,
    posts: Option<Subscription>,
    /// The newest seq published per room: what a `room.head` answers.
    heads: Arc<Mutex<HashMap<RoomId, Seq>>>,
    head_answers: tokio::task::JoinHandle<()>,
}

impl Cms {
    pub async fn connect(prefix: &str) -> Cms {
        let config = tm_bus::BusConfig::for_test(prefix);
        let bus = tokio::time::timeout(PATIENCE, Bus::connect(&config, "test-cms"))
            .await
            .unwrap()
            .unwrap();
        let publisher = bus.publisher().await.unwrap();
        let heads = Arc::new(Mutex::new(HashMap::new()));
        let spec = SubscribeSpec {
            queue: QueueKind::Durable(CommandQueue::CmsControl),
            single_active: false,
        };
        let control = bus.subscribe(spec).await.unwrap();
        let head_answers = tokio::spawn(answer_heads(control, publisher.clone(), Arc::clone(&heads)));
        Cms {
            bus,
            publisher,
            posts: None,
            heads,
            head_answers,
        }
    }

    pub async fn publish<E: Event>(&self, payload: E) {
        if let Ok(value) = serde_json::to_value(&payload) {
            if let (Some(room), Some(seq)) = (value["room_id"].as_u64(), value["seq"].as_u64()) {
                let mut heads = self.heads.lock().unwrap();
                let head = heads.entry(room).or_default();
                *head = (*head).max(seq);
            }
        }
        self.publisher.publish(&Envelope::new("tm-cms", payload)).await.unwrap();
    }

    /// `room.<id>.message.created` with `body` at `seq`.
    pub async fn message(&self, room: &Room, seq: Seq, body: &str) {
        self.publish(MessageCreated {
            room_id: room.id,
            message: Message {
                id: seq * 10,
                seq,
                room: room.slug.clone(),
                nickname: "ada".into(),
                color: "#123456".into(),
                body: body.into(),
                tokens: parse_body(body),
                kind: MessageKind::Post,
                source_url: None,
                created_at: time::OffsetDateTime::now_utc(),
                client_id: None,
                votes: 0,
                answered: false,
                pinned: false,
            },
        })
        .await;
    }

    /// Messages for every seq in `seqs`, in that order.
    pub async fn messages(&self, room: &Room, seqs: impl IntoIterator<Item = Seq>) {
        for seq in seqs {
            self.message(room, seq, &format!("message {seq}")).await;
        }
    }

    /// `room.<id>.updated` with the given state.
    pub async fn room_state(&self, room: &Room, seq: Seq, state: RoomState) {
        self.publish(RoomUpdated {
            room_id: room.id,
            seq,
            topic: "physics".into(),
            state,
            slow_mode_seconds: 0,
            moderation: Moderation::Post,
            reactions: Vec::new(),
        })
        .await;
    }

    /// The next `post.submit` command in `cms.posts` (acked, as the CMS would after storing it).
    pub async fn next_post(&mut self) -> PostSubmit {
        if self.posts.is_none() {
            let spec = SubscribeSpec {
                queue: QueueKind::Durable(CommandQueue::CmsPosts),
                single_active: false,
            };
            self.posts = Some(self.bus.subscribe(spec).await.unwrap());
        }
        let posts = self.posts.as_mut().unwrap();
        loop {
            let event = tokio::time::timeout(PATIENCE, posts.next())
                .await
                .expect("a post.submit in time");
            if let Some(SubscriptionEvent::Message(incoming)) = event {
                incoming.ack().await.unwrap();
                let raw = RawEnvelope::from_slice(&incoming.body).unwrap();
                return raw.decode::<PostSubmit>().unwrap().payload;
            }
        }
    }

    /// Messages waiting in `cms.posts`.
    pub async fn queued_posts(&self) -> u32 {
        self.bus.queue_depth(CommandQueue::CmsPosts).await.unwrap()
    }

    /// Deletes the test's exchanges and queues.
    pub async fn clean_up(self) {
        self.head_answers.abort();
        drop(self.posts);
        let _ = tokio::time::timeout(Duration::from_secs(5), self.bus.delete_topology()).await;
        self.bus.close().await;
    }
}

/// Answers every `room.head.request` with the newest seq published for the room.
async fn answer_heads(mut control: Subscription, publisher: Publisher, heads: Arc<Mutex<HashMap<RoomId, Seq>>>) {
    while let Some(event) = control.next().await {
        let SubscriptionEvent::Message(incoming) = event else {
            continue;
        };
        let raw = RawEnvelope::from_slice(&incoming.body).unwrap();
        if let Ok(request) = raw.decode::<RoomHeadRequest>() {
            let room_id = request.payload.room_id;
            let head = heads.lock().unwrap().get(&room_id).copied().unwrap_or(0);
            let answer = Envelope::new("tm-cms", RoomHead { room_id, head });
            publisher.publish(&answer).await.unwrap();
        }
        incoming.ack().await.unwrap();
    }
}
