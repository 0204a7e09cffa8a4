//! The relay: the event log reaches `tm.events` in order, once, and survives a broker cut.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::future::join_all;
use serde_json::Value;
use tm_bus::{Subscription, SubscriptionEvent};
use tm_cms::engine::db::schema::room_events;
use tm_testkit::wait_until_async;

use crate::helpers::{next_envelope, spawn_app, spawn_app_with, Options, TestApp, PATIENCE};

async fn unpublished(app: &TestApp) -> i64 {
    room_events::table
        .filter(room_events::published_at.is_null())
        .count()
        .get_result(&mut app.db().await)
        .await
        .unwrap()
}

#[tokio::test]
async fn events_reach_the_broker_in_seq_order_and_are_marked_published() {
    let app = spawn_app().await;
    let room = app.create_room("relayed").await;
    let mut feed = app.watch_room(room.id).await;

    for i in 1..=5 {
        app.post_message("relayed", "Ada", &format!("m{i}")).await;
    }

    for seq in 1..=5u64 {
        let envelope = next_envelope(&mut feed).await;
        assert_eq!(envelope["type"], "message.created");
        assert_eq!(envelope["producer"], "tm-cms");
        assert_eq!(envelope["payload"]["seq"], seq);
        assert_eq!(envelope["payload"]["body"], format!("m{seq}"));
    }
    wait_until_async(PATIENCE, "every event is marked published", || async {
        unpublished(&app).await == 0
    })
    .await;
    let replay = app.events("relayed", "").await;
    assert_eq!(replay["events"].as_array().unwrap().len(), 5);
    app.stop().await;
}

#[tokio::test]
async fn a_broker_outage_delays_events_but_loses_and_duplicates_none() {
    let app = spawn_app_with(Options {
        broker_proxy: true,
        ..Options::default()
    })
    .await;
    let room = app.create_room("outage").await;
    let mut feed = app.watch_room(room.id).await;
    app.post_message("outage", "Ada", "before").await;
    assert_eq!(next_envelope(&mut feed).await["payload"]["seq"], 1);

    app.broker_proxy.as_ref().unwrap().cut();
    for i in 2..=10 {
        let response = app.post_message("outage", "Ada", &format!("during {i}")).await;
        assert_eq!(
            response.status(),
            reqwest::StatusCode::CREATED,
            "HTTP posting works without the broker"
        );
    }
    assert_eq!(unpublished(&app).await, 9, "held in the log while the broker is away");
    app.broker_proxy.as_ref().unwrap().restore();

    let mut seqs = Vec::new();
    while seqs.last() != Some(&10) {
        let envelope: Value = next_envelope(&mut feed).await;
        seqs.push(envelope["payload"]["seq"].as_u64().unwrap());
    }
    assert_eq!(seqs, (2..=10).collect::<Vec<_>>(), "in order, none lost, none twice");
    wait_until_async(PATIENCE, "the log is fully published", || async {
        unpublished(&app).await == 0
    })
    .await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("tm_cms_relay_publish_failures_total"), "{metrics}");
    let build = format!(
        "tm_build_info{{service=\"tm-cms\",version=\"{}\"}} 1\n# EOF",
        env!("CARGO_PKG_VERSION")
    );
    assert!(
        metrics.contains(&build),
        "the build metric, before the end marker: {metrics}"
    );
    app.stop().await;
}

#[tokio::test]
async fn only_one_relay_is_active_per_database() {
    let app = spawn_app().await;
    wait_until_async(PATIENCE, "the app's relay holds the lock", || async {
        app.get("/metrics")
            .await
            .text()
            .await
            .unwrap()
            .contains("tm_cms_relay_active 1")
    })
    .await;
    let mut conn = app.db().await;

    #[derive(QueryableByName)]
    struct Answer {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
        answer: Option<i64>,
    }
    let second: Answer = diesel::sql_query("SELECT GET_LOCK(CONCAT('tm.relay.', DATABASE()), 0) AS answer")
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(second.answer, Some(0), "a second instance would wait for the lock");
    app.stop().await;
}

type Feed = HashMap<u64, Vec<(u64, String)>>;

/// Adds a `message.created` envelope to its room's list of `(seq, body)`, in arrival order.
fn record(seen: &mut Feed, envelope: &Value) {
    if envelope["type"] != "message.created" {
        return;
    }
    let room = envelope["payload"]["room_id"].as_u64().unwrap();
    let seq = envelope["payload"]["seq"].as_u64().unwrap();
    let body = envelope["payload"]["body"].as_str().unwrap().to_owned();
    seen.entry(room).or_default().push((seq, body));
}

/// Reads the feed into `seen` until every room has `per_room` distinct seqs; a repeat (same
/// seq again) is kept so callers can judge it.
async fn collect_messages(feed: &mut Subscription, mut seen: Feed, rooms: &[u64], per_room: usize) -> Feed {
    let done = |seen: &Feed| {
        rooms.iter().all(|room| {
            let distinct: HashSet<u64> = seen.get(room).into_iter().flatten().map(|(seq, _)| *seq).collect();
            distinct.len() >= per_room
        })
    };
    while !done(&seen) {
        record(&mut seen, &next_envelope(feed).await);
    }
    seen
}

async fn create_rooms(app: &TestApp, count: usize) -> Vec<(String, u64)> {
    let mut rooms = Vec::new();
    for r in 0..count {
        let room = app.create_room(&format!("busy-{}", char::from(b'a' + r as u8))).await;
        rooms.push((room.slug, room.id));
    }
    rooms
}

/// These tests load the relay with hundreds of posts from the one address and participant a
/// test has; the posting limits (which have tests of their own) would refuse all but ten.
fn unlimited_posting(settings: &mut tm_cms::config::Settings) {
    settings.posting.per_minute = 100_000;
    settings.posting.burst = 10_000;
}

/// Posts `per_room` messages "m0".. to every room: rooms in parallel, each room in order.
async fn post_to_all(app: &TestApp, rooms: &[(String, u64)], per_room: usize) {
    join_all(rooms.iter().map(|(slug, _)| async move {
        for i in 0..per_room {
            let response = app.post_message(slug, "Ada", &format!("m{i}")).await;
            assert_eq!(response.status(), reqwest::StatusCode::CREATED);
        }
    }))
    .await;
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("{name} in {text}")) as u64
}

#[tokio::test]
async fn hundreds_of_events_over_several_rooms_arrive_in_per_room_seq_order() {
    const ROOMS: usize = 6;
    const PER_ROOM: usize = 60;
    let app = spawn_app_with(Options {
        tweak: Some(Box::new(unlimited_posting)),
        ..Options::default()
    })
    .await;
    let rooms = create_rooms(&app, ROOMS).await;
    let room_ids: Vec<u64> = rooms.iter().map(|(_, id)| *id).collect();
    let mut feed = app.watch("#").await;

    post_to_all(&app, &rooms, PER_ROOM).await;
    let seen = collect_messages(&mut feed, Feed::new(), &room_ids, PER_ROOM).await;

    for (room, msgs) in &seen {
        let seqs: Vec<u64> = msgs.iter().map(|(seq, _)| *seq).collect();
        assert_eq!(
            seqs,
            (1..=PER_ROOM as u64).collect::<Vec<_>>(),
            "room {room}: in order, none missing, none twice"
        );
        let bodies: Vec<&str> = msgs.iter().map(|(_, body)| body.as_str()).collect();
        let posted: Vec<String> = (0..PER_ROOM).map(|i| format!("m{i}")).collect();
        assert_eq!(bodies, posted, "room {room}");
    }
    wait_until_async(PATIENCE, "every event is marked published", || async {
        unpublished(&app).await == 0
    })
    .await;
    // The counters follow the UPDATE that marks the rows, and the lag gauge the next pass:
    // wait for them rather than race the relay.
    wait_until_async(PATIENCE, "the relay's metrics count every event and no lag", || async {
        let metrics = app.get("/metrics").await.text().await.unwrap();
        metric(&metrics, "tm_cms_relay_published_total") >= (ROOMS * PER_ROOM) as u64
            && metric(&metrics, "tm_cms_relay_lag_events") == 0
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn a_broker_cut_mid_batch_marks_only_confirmed_rows_and_leaves_no_gap() {
    const ROOMS: usize = 4;
    const PER_ROOM: usize = 75;
    let app = spawn_app_with(Options {
        broker_proxy: true,
        tweak: Some(Box::new(unlimited_posting)),
        ..Options::default()
    })
    .await;
    let proxy = app.broker_proxy.as_ref().unwrap();
    let rooms = create_rooms(&app, ROOMS).await;
    let room_ids: Vec<u64> = rooms.iter().map(|(_, id)| *id).collect();
    let mut feed = app.watch("#").await;
    wait_until_async(PATIENCE, "the rooms' events are out", || async {
        unpublished(&app).await == 0
    })
    .await;

    // A backlog bigger than one batch, then the broker comes back and goes away again as
    // soon as the first event of the backlog arrives: mid-batch.
    proxy.cut();
    post_to_all(&app, &rooms, PER_ROOM).await;
    assert_eq!(unpublished(&app).await, (ROOMS * PER_ROOM) as i64);
    proxy.restore();
    let first = next_envelope(&mut feed).await;
    proxy.cut();
    let failures = || async {
        let metrics = app.get("/metrics").await.text().await.unwrap();
        metric(&metrics, "tm_cms_relay_publish_failures_total")
    };

    // While cut: whatever is marked published is an id-order prefix of the log, and every
    // row marked published is on the broker (the feed gets it). A failure counted after the
    // cut means the batch in flight has ended and its confirmed prefix is marked.
    let before = failures().await;
    wait_until_async(PATIENCE, "the relay fails after the cut", || async {
        failures().await > before
    })
    .await;
    let rows: Vec<(u64, String, bool)> = room_events::table
        .select((
            room_events::id,
            room_events::envelope_id,
            room_events::published_at.is_not_null(),
        ))
        .order(room_events::id.asc())
        .load(&mut app.db().await)
        .await
        .unwrap();
    let first_unpublished = rows
        .iter()
        .position(|(_, _, published)| !published)
        .unwrap_or(rows.len());
    assert!(
        rows[first_unpublished..].iter().all(|(_, _, published)| !published),
        "published rows are a prefix in id order"
    );
    let mut on_broker: HashSet<String> = HashSet::from([first["id"].as_str().unwrap().to_owned()]);
    let mut arrived = vec![first];
    while let Ok(Some(SubscriptionEvent::Message(incoming))) =
        tokio::time::timeout(std::time::Duration::from_secs(1), feed.next()).await
    {
        let envelope: Value = serde_json::from_slice(&incoming.body).unwrap();
        on_broker.insert(envelope["id"].as_str().unwrap().to_owned());
        arrived.push(envelope);
    }
    for (id, envelope_id, _) in &rows[..first_unpublished] {
        assert!(
            on_broker.contains(envelope_id),
            "row {id} marked published but not on the broker"
        );
    }

    proxy.restore();
    let mut seen = Feed::new();
    for envelope in &arrived {
        record(&mut seen, envelope);
    }
    let seen = collect_messages(&mut feed, seen, &room_ids, PER_ROOM).await;
    for (room, msgs) in &seen {
        // Repeats are allowed (a publish whose confirm was lost), gaps are not.
        let mut highest = 0;
        for (seq, body) in msgs {
            assert!(
                *seq <= highest + 1,
                "room {room}: seq {seq} after {highest} is a gap: {msgs:?}"
            );
            assert_eq!(body, &format!("m{}", seq - 1));
            highest = highest.max(*seq);
        }
        assert_eq!(highest, PER_ROOM as u64, "room {room}");
    }
    wait_until_async(PATIENCE, "the log is fully published", || async {
        unpublished(&app).await == 0
    })
    .await;
    app.stop().await;
}
