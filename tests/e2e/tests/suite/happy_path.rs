//! Scenario 1: many clients in several rooms, posts over WebSocket and HTTP; every client sees
//! every event of its room exactly once, in seq order, and that agrees with `/events` and the
//! database.

use std::time::Duration;

use tm_e2e::live::LiveClient;
use tm_e2e::system::{System, Topology};

use crate::report::{check_client_matches_log, Counts};

const ROOMS: [&str; 3] = ["e2e-alpha", "e2e-beta", "e2e-gamma"];
const CLIENTS: usize = 50;
const POSTS_PER_ROOM: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_client_sees_every_event_of_its_room_once_in_order() {
    let system = System::start(Topology::default()).await.unwrap();
    for slug in ROOMS {
        system.create_room(slug).await.unwrap();
    }
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

    for (room, client) in &clients {
        client
            .wait_for_seq(POSTS_PER_ROOM as u64, Duration::from_secs(60))
            .await
            .unwrap();
        let log = system.events(ROOMS[*room]).await.unwrap();
        assert_eq!(log.len(), POSTS_PER_ROOM);
        check_client_matches_log(client, &log, &mut counts);
    }
    for slug in ROOMS {
        let stored = system
            .db
            .count(&format!(
                "SELECT COUNT(*) FROM messages m JOIN rooms r ON r.id = m.room_id WHERE r.slug = '{slug}'"
            ))
            .unwrap();
        assert_eq!(stored as usize, POSTS_PER_ROOM, "{slug} stored");
        counts.stored += stored as usize;
    }
    counts.print("happy_path");
    assert_eq!(counts.sent, counts.stored);
    assert_eq!(counts.delivered, CLIENTS * POSTS_PER_ROOM);
    system.shutdown().await.unwrap();
}
