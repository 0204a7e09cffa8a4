//! Scenario 1: many clients in several rooms, posts over WebSocket and HTTP and tweets from the
//! fake Twitter stream; every client sees
//! every event of its room exactly once, in seq order, and that agrees with `/events` and the
//! database.

use std::time::Duration;

use tm_e2e::live::LiveClient;
use tm_e2e::system::{System, Topology};
use tm_testkit::fake_twitter::FakeTwitter;

use crate::report::{check_client_matches_log, Counts};

const ROOMS: [&str; 3] = ["e2e-alpha", "e2e-beta", "e2e-gamma"];
const CLIENTS: usize = 50;
const POSTS_PER_ROOM: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_client_sees_every_event_of_its_room_once_in_order() {
    // Load: dozens of posts a room from the one address and participant a test has; the
    // posting limits have tests of their own (failures.rs, contract.rs).
    let system = System::start(Topology::load_test()).await.unwrap();
    for slug in ROOMS {
        let tag = slug.replace('-', "");
        system.create_room_following(slug, &[&tag]).await.unwrap();
    }
    let twitter = FakeTwitter::start(Duration::from_secs(5)).await;
    let state_dir = std::env::temp_dir().join(format!("tm-e2e-happy-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&state_dir).unwrap();
    let mut ingest = system.ingest_service(&twitter.base_url(), &state_dir).unwrap();
    ingest.start().await.unwrap();
    tm_testkit::wait_until(Duration::from_secs(60), "a rule per room and a live stream", || {
        twitter.rules().len() == ROOMS.len() && twitter.live_streams() >= 1
    })
    .await;
    let mut clients: Vec<(usize, LiveClient)> = Vec::new();
    for i in 0..CLIENTS {
        let room = i % ROOMS.len();
        clients.push((room, system.join(ROOMS[room], 0).await.unwrap()));
    }

    let mut counts = Counts::default();
    for n in 0..POSTS_PER_ROOM {
        for (room, slug) in ROOMS.iter().enumerate() {
            if n % 2 == 0 {
                system
                    .post_http(slug, "http-poster", &format!("http {n} in {slug}"))
                    .await
                    .unwrap();
            } else {
                let (_, poster) = clients.iter().find(|(r, _)| *r == room).unwrap();
                poster
                    .post_accepted("ws-poster", &format!("ws {n} in {slug}"))
                    .await
                    .unwrap();
            }
            counts.sent += 1;
        }
    }

    for (n, slug) in ROOMS.iter().enumerate() {
        let tag = slug.replace('-', "");
        twitter.tweet(&format!("{}", 5000 + n), "ada", &format!("hello #{tag}"), &[&tag]);
        counts.sent += 1;
    }
    const PER_ROOM: usize = POSTS_PER_ROOM + 1; // and one tweet
    for (room, client) in &clients {
        client
            .wait_for_seq(PER_ROOM as u64, Duration::from_secs(60))
            .await
            .unwrap();
        let log = system.events(ROOMS[*room]).await.unwrap();
        assert_eq!(log.len(), PER_ROOM);
        assert_eq!(
            log.iter().filter(|e| e["data"]["kind"] == "tweet").count(),
            1,
            "one tweet per room"
        );
        check_client_matches_log(client, &log, &mut counts);
    }
    for slug in ROOMS {
        let stored = system
            .db
            .count(&format!(
                "SELECT COUNT(*) FROM messages m JOIN rooms r ON r.id = m.room_id WHERE r.slug = '{slug}'"
            ))
            .unwrap();
        assert_eq!(stored as usize, PER_ROOM, "{slug} stored");
        counts.stored += stored as usize;
    }
    counts.print("happy_path");
    assert_eq!(counts.sent, counts.stored);
    assert_eq!(counts.delivered, CLIENTS * PER_ROOM);
    ingest.terminate(Duration::from_secs(30)).await.unwrap();
    let _ = std::fs::remove_dir_all(&state_dir);
    system.shutdown().await.unwrap();
}
