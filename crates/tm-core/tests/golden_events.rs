//! The wire format of every event and command, pinned by golden files.
//!
//! A failing test here means the JSON on the bus changed. If that was intended, it is a
//! compatible change only when fields were added; then regenerate with
//! `TM_BLESS=1 cargo test -p tm-core --test golden_events` and review the diff. Renaming or
//! removing a field needs a new `VERSION` instead.

// Test helpers panic on purpose: a failed step should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use time::macros::datetime;
use tm_core::event::*;
use tm_core::parse_body;
use uuid::Uuid;

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/events")
        .join(format!("{name}.json"))
}

fn envelope<E: Event>(payload: E) -> Envelope<E> {
    Envelope::with_id(
        Uuid::parse_str("0192f0c4-7a3e-7cc1-9a55-3f1e2d4c5b6a").unwrap(),
        datetime!(2026-11-23 09:15:00.250 UTC),
        "tm-cms",
        payload,
    )
}

/// Compares (or, with TM_BLESS=1, writes) the golden file, then reads it back.
fn check<E: Event + PartialEq + std::fmt::Debug>(payload: E) {
    let env = envelope(payload);
    let json = serde_json::to_string_pretty(&env).unwrap() + "\n";
    let path = fixture_path(E::TYPE);
    if std::env::var_os("TM_BLESS").is_some() {
        std::fs::write(&path, &json).unwrap();
    }
    let golden =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("missing golden file {}: {e}", path.display()));
    assert_eq!(json, golden, "wire format of {} changed", E::TYPE);

    let raw = RawEnvelope::from_slice(golden.as_bytes()).unwrap();
    assert_eq!(raw.kind, E::TYPE);
    let decoded: Envelope<E> = raw.decode().unwrap();
    assert_eq!(decoded, env);

    // Read in place, as the gateway does: same payload, and its text is the wire's own bytes.
    let borrowed = BorrowedEnvelope::from_slice(golden.as_bytes()).unwrap();
    assert_eq!(borrowed.kind, E::TYPE);
    assert_eq!(borrowed.decode::<E>().unwrap(), env.payload);
    let wire_payload: serde_json::Value = serde_json::from_str(&golden).unwrap();
    let forwarded: serde_json::Value = serde_json::from_str(borrowed.payload.get()).unwrap();
    assert_eq!(forwarded, wire_payload["payload"]);
    assert!(
        golden.contains(borrowed.payload.get()),
        "the payload text is a slice of the message"
    );
}

fn sample_message(seq: u64) -> Message {
    let body = "hello @ada, see https://example.org #physics101";
    Message {
        id: 4711,
        seq,
        room: "physics-101".into(),
        nickname: "Grace".into(),
        color: "#3b7dd8".into(),
        body: body.into(),
        tokens: parse_body(body),
        kind: MessageKind::Post,
        source_url: None,
        created_at: datetime!(2026-11-23 09:14:59.123456 UTC),
        client_id: Some(Uuid::parse_str("5f2b8a64-3c1d-4e7f-9a0b-1c2d3e4f5a6b").unwrap()),
        votes: 0,
        answered: false,
        pinned: false,
    }
}

#[test]
fn message_created() {
    check(MessageCreated {
        room_id: 42,
        message: sample_message(7),
    });
}

#[test]
fn message_updated() {
    let mut message = sample_message(7);
    message.votes = 12;
    message.answered = true;
    message.pinned = true;
    check(MessageUpdated { room_id: 42, message });
}

fn sample_poll(state: PollState) -> Poll {
    Poll {
        id: 9,
        question: "Which topic next?".into(),
        options: vec![
            PollOption {
                id: 31,
                text: "Optics".into(),
                votes: 12,
            },
            PollOption {
                id: 32,
                text: "Waves".into(),
                votes: 7,
            },
        ],
        multiple: false,
        state,
        voters: 19,
        created_at: datetime!(2026-11-23 09:20:00 UTC),
    }
}

#[test]
fn poll_opened() {
    check(PollOpened(PollEvent {
        room_id: 42,
        seq: 10,
        poll: sample_poll(PollState::Open),
    }));
}

#[test]
fn poll_updated() {
    check(PollUpdated(PollEvent {
        room_id: 42,
        seq: 11,
        poll: sample_poll(PollState::Open),
    }));
}

#[test]
fn poll_closed() {
    check(PollClosed(PollEvent {
        room_id: 42,
        seq: 12,
        poll: sample_poll(PollState::Closed),
    }));
}

/// Messages logged before Q&A existed have no `votes`, `answered` or `pinned`: they still decode,
/// as a message nobody voted on.
#[test]
fn a_message_created_before_qa_decodes_without_votes() {
    let golden = std::fs::read_to_string(fixture_path(MessageCreated::TYPE)).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&golden).unwrap();
    let payload = value["payload"].as_object_mut().unwrap();
    for field in ["votes", "answered", "pinned"] {
        assert!(payload.remove(field).is_some(), "the golden file carries {field}");
    }
    let raw = RawEnvelope::from_slice(value.to_string().as_bytes()).unwrap();
    let decoded: Envelope<MessageCreated> = raw.decode().unwrap();
    assert_eq!(decoded.payload.message.votes, 0);
    assert!(!decoded.payload.message.answered && !decoded.payload.message.pinned);
}

#[test]
fn message_deleted() {
    check(MessageDeleted {
        room_id: 42,
        seq: 8,
        id: 4711,
    });
}

#[test]
fn room_updated() {
    check(RoomUpdated {
        room_id: 42,
        seq: 9,
        topic: "Week 3: optics".into(),
        state: RoomState::Paused,
        slow_mode_seconds: 10,
        moderation: Moderation::Approve,
        reactions: vec!["👍".into(), "🎉".into(), "❤️".into()],
    });
}

#[test]
fn a_room_updated_before_reactions_decodes_with_an_empty_set() {
    let old =
        r#"{"room_id": 42, "seq": 9, "topic": "t", "state": "open", "slow_mode_seconds": 0, "moderation": "post"}"#;
    let updated: RoomUpdated = serde_json::from_str(old).unwrap();
    assert!(updated.reactions.is_empty());
}

#[test]
fn room_closed() {
    check(RoomClosed {
        room_id: 42,
        seq: 10,
        reason: CloseReason::Expired,
    });
}

#[test]
fn presence() {
    check(Presence {
        room_id: 42,
        gateway_id: Uuid::parse_str("7d444840-9dc0-41d8-a4e6-9c3b1d1a2b3c").unwrap(),
        count: 31,
    });
}

#[test]
fn reactions() {
    check(Reactions {
        room_id: 42,
        gateway_id: Uuid::parse_str("7d444840-9dc0-41d8-a4e6-9c3b1d1a2b3c").unwrap(),
        counts: [("👍".to_owned(), 12), ("🎉".to_owned(), 3)].into_iter().collect(),
    });
}

#[test]
fn post_rejected() {
    check(PostRejected {
        room_id: 42,
        client_id: Uuid::parse_str("5f2b8a64-3c1d-4e7f-9a0b-1c2d3e4f5a6b").unwrap(),
        participant_id: "p-3f9c2a".into(),
        code: PostRejectionCode::SlowDown,
        message: "slow down: try again in 4 s".into(),
    });
}

#[test]
fn sources_changed() {
    check(SourcesChanged {
        room_id: 42,
        hashtags: vec!["physics101".into(), "optics".into()],
    });
}

#[test]
fn sources_snapshot() {
    check(SourcesSnapshot {
        rooms: vec![
            RoomSources {
                room_id: 42,
                hashtags: vec!["physics101".into()],
            },
            RoomSources {
                room_id: 43,
                hashtags: vec!["rustlang".into(), "rust".into()],
            },
        ],
    });
}

#[test]
fn post_submit() {
    check(PostSubmit {
        room_id: 42,
        nickname: "Grace".into(),
        participant_id: "p_8f14e45fceea167a".into(),
        body: "Is the exam open book?".into(),
        client_id: Uuid::parse_str("5f2b8a64-3c1d-4e7f-9a0b-1c2d3e4f5a6b").unwrap(),
        received_at: datetime!(2026-11-23 09:14:58.5 UTC),
    });
}

#[test]
fn ingest_item() {
    check(IngestItem {
        source: IngestSource::Twitter,
        external_id: "1861234567890123456".into(),
        room_ids: vec![42, 43],
        author: "@ada".into(),
        text: "Loving #physics101 today".into(),
        url: "https://twitter.com/ada/status/1861234567890123456".into(),
        posted_at: datetime!(2026-11-23 09:10:00 UTC),
        author_id: None,
    });
}

#[test]
fn ingest_retract() {
    check(IngestRetract {
        source: IngestSource::Bluesky,
        external_id: "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3lbq2vqjzqk2c".into(),
    });
}

#[test]
fn a_bluesky_item_carries_the_authors_did_and_older_items_read_without_it() {
    let item = IngestItem {
        source: IngestSource::Bluesky,
        external_id: "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3lbq2vqjzqk2c".into(),
        room_ids: vec![42],
        author: "ada.bsky.social".into(),
        text: "Loving #physics101 today".into(),
        url: "https://bsky.app/profile/did:plc:ewvi7nxzyoun6zhxrhs64oiz/post/3lbq2vqjzqk2c".into(),
        posted_at: datetime!(2026-11-23 09:10:00 UTC),
        author_id: Some("did:plc:ewvi7nxzyoun6zhxrhs64oiz".into()),
    };
    let json = serde_json::to_value(&item).unwrap();
    assert_eq!(json["source"], "bluesky");
    assert_eq!(json["author_id"], "did:plc:ewvi7nxzyoun6zhxrhs64oiz");
    let back: IngestItem = serde_json::from_value(json).unwrap();
    assert_eq!(back, item);
    let golden = std::fs::read_to_string(fixture_path("ingest.item")).unwrap();
    let old: Envelope<IngestItem> = RawEnvelope::from_slice(golden.as_bytes()).unwrap().decode().unwrap();
    assert_eq!(old.payload.author_id, None);
}

#[test]
fn sources_snapshot_request() {
    check(SourcesSnapshotRequest {
        requested_by: "tm-ingest".into(),
    });
}

#[test]
fn room_head_request() {
    check(RoomHeadRequest { room_id: 42 });
}

#[test]
fn room_head() {
    check(RoomHead { room_id: 42, head: 17 });
}

#[test]
fn routing_keys_follow_the_architecture() {
    assert_eq!(
        MessageCreated {
            room_id: 42,
            message: sample_message(1)
        }
        .routing_key(),
        "room.42.message.created"
    );
    assert_eq!(
        MessageDeleted {
            room_id: 42,
            seq: 1,
            id: 1
        }
        .routing_key(),
        "room.42.message.deleted"
    );
    assert_eq!(
        RoomClosed {
            room_id: 5,
            seq: 1,
            reason: CloseReason::Owner
        }
        .routing_key(),
        "room.5.closed"
    );
    assert_eq!(
        PostRejected {
            room_id: 5,
            client_id: Uuid::nil(),
            participant_id: "p".into(),
            code: PostRejectionCode::Muted,
            message: String::new(),
        }
        .routing_key(),
        "room.5.post.rejected"
    );
    assert_eq!(
        SourcesChanged {
            room_id: 5,
            hashtags: vec![]
        }
        .routing_key(),
        "sources.changed"
    );
    assert_eq!(<PostSubmit as Event>::ROUTING.exchange(), COMMANDS_EXCHANGE);
    assert_eq!(<RoomUpdated as Event>::ROUTING.exchange(), EVENTS_EXCHANGE);
    assert_eq!(RoomHead { room_id: 42, head: 17 }.routing_key(), "room.42.head");
    assert_eq!(
        Reactions {
            room_id: 42,
            gateway_id: Uuid::nil(),
            counts: Default::default()
        }
        .routing_key(),
        "room.42.reactions"
    );
    assert_eq!(RoomHeadRequest { room_id: 42 }.routing_key(), "room.head.request");
    assert_eq!(room_binding(42), "room.42.#");
}

#[test]
fn unknown_fields_are_tolerated_on_read() {
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture_path("message.created")).unwrap()).unwrap();
    value["trace_parent"] = "00-abc".into();
    value["payload"]["reactions"] = serde_json::json!({"👍": 3});
    let raw = RawEnvelope::from_slice(&serde_json::to_vec(&value).unwrap()).unwrap();
    let env: Envelope<MessageCreated> = raw.decode().unwrap();
    assert_eq!(env.payload.message.id, 4711);
}

#[test]
fn wrong_type_and_newer_version_are_refused() {
    let golden = std::fs::read_to_string(fixture_path("message.deleted")).unwrap();
    let raw = RawEnvelope::from_slice(golden.as_bytes()).unwrap();
    assert!(matches!(
        raw.clone().decode::<RoomClosed>(),
        Err(DecodeError::WrongType { .. })
    ));
    let mut newer = raw;
    newer.version = 2;
    assert!(matches!(
        newer.decode::<MessageDeleted>(),
        Err(DecodeError::UnknownVersion { .. })
    ));

    let borrowed = BorrowedEnvelope::from_slice(golden.as_bytes()).unwrap();
    assert!(matches!(
        borrowed.decode::<RoomClosed>(),
        Err(DecodeError::WrongType { .. })
    ));
    let newer = golden.replacen("\"version\": 1", "\"version\": 2", 1);
    assert!(matches!(
        BorrowedEnvelope::from_slice(newer.as_bytes())
            .unwrap()
            .decode::<MessageDeleted>(),
        Err(DecodeError::UnknownVersion { .. })
    ));
}

#[test]
fn docs_events_md_shows_every_golden_file() {
    let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/events.md");
    let page = std::fs::read_to_string(&docs).unwrap();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/events");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let golden = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(
            page.contains(golden.trim_end()),
            "docs/events.md is missing or has a stale copy of:\n{golden}"
        );
        count += 1;
    }
    assert_eq!(count, 19, "every event and command has a golden file");
}
