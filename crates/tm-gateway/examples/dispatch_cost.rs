//! What the gateway spends on one room event before fan-out: decoding the bus message, reading
//! its routing fields and building the frame every subscriber shares. Run under callgrind for a
//! repeatable instruction count (docs/benchmarks.md, "Gateway: one event's own cost"):
//!
//! ```sh
//! cargo build --release -p tm-gateway --example dispatch_cost
//! valgrind --tool=callgrind target/release/examples/dispatch_cost 10000
//! ```
//!
//! One subscriber keeps the room alive, so each event also goes into the replay buffer and one
//! socket queue, as in a real room; the fan-out to many sockets is what S2 measures.

// A measuring tool, not a service: a failure to build its input should stop it loudly.
#![allow(clippy::expect_used)]

use std::sync::Arc;

use tm_gateway::hub::{outbox, Hub};
use tm_gateway::inbound::dispatch;
use tm_gateway::metrics::Metrics;
use uuid::Uuid;

const ROOM: u64 = 7;

fn created(seq: u64) -> Vec<u8> {
    let body = "Is the exam on Friday open book, or may we only bring the formula sheet? #physics";
    serde_json::to_vec(&serde_json::json!({
        "id": Uuid::now_v7(),
        "type": "message.created",
        "version": 1,
        "occurred_at": "2026-12-05T09:00:00Z",
        "producer": "tm-cms",
        "payload": {
            "room_id": ROOM, "id": 1000 + seq, "seq": seq, "room": "physics-101", "nickname": "Ada",
            "color": "#b8344a", "body": body,
            "tokens": [{"type": "text", "text": "Is the exam on Friday open book, or may we only bring the formula sheet? "},
                       {"type": "hashtag", "tag": "physics"}],
            "kind": "post", "created_at": "2026-12-05T09:00:00Z", "votes": 0, "answered": false, "pinned": false,
            "client_id": Uuid::new_v4(),
        },
    }))
    .expect("a JSON value serialises")
}

fn main() {
    let events: u64 = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let hub = Hub::new(1024, Arc::new(Metrics::default()));
    let (queue, inbox) = outbox(usize::MAX >> 1);
    let _member = hub.join(ROOM, Some(0), queue, true);
    let gateway = Uuid::new_v4();
    let bodies: Vec<Vec<u8>> = (1..=events).map(created).collect();
    for body in &bodies {
        dispatch(&hub, gateway, body);
    }
    drop(inbox);
    eprintln!("dispatched {events} events");
}
