//! Scenarios 2–5 and 7–9 of the failure-isolation suite: one part fails, the rest keeps
//! running, nothing is lost, nothing is shown twice.

use std::time::Duration;

use tm_bus::CommandQueue;
use tm_e2e::live::LiveClient;
use tm_e2e::system::{System, Topology};

use crate::report::{check_client_matches_log, Counts};

const LONG: Duration = Duration::from_secs(90);

async fn clients(system: &System, slug: &str, n: usize) -> Vec<LiveClient> {
    let mut all = Vec::new();
    for i in 0..n {
        all.push(system.join(slug, i % system.gateways.len()).await.unwrap());
    }
    all
}

/// Waits until the room's seq reaches `expected` and every client reached it, then checks each
/// client against the room's log.
async fn settle_and_check(
    system: &System,
    slug: &str,
    expected: u64,
    clients: &[LiveClient],
    counts: &mut Counts,
) -> Vec<serde_json::Value> {
    let room_seq = || {
        system
            .db
            .count(&format!(
                "SELECT seq FROM rooms WHERE slug = '{slug}' AND state <> 'closed'"
            ))
            .unwrap_or(0)
    };
    tm_testkit::wait_until(LONG, "the room's seq to reach what was sent", || room_seq() >= expected).await;
    let stored = room_seq();
    assert_eq!(stored, expected, "more events than posts sent");
    for client in clients {
        client.wait_for_seq(stored, LONG).await.unwrap();
    }
    let log = system.events(slug).await.unwrap();
    assert_eq!(log.len() as u64, stored, "event log and room seq disagree");
    for client in clients {
        check_client_matches_log(client, &log, counts);
    }
    log
}

fn stored_messages(system: &System, slug: &str) -> usize {
    system
        .db
        .count(&format!(
            "SELECT COUNT(*) FROM messages m JOIN rooms r ON r.id = m.room_id WHERE r.slug = '{slug}' AND m.state = 'visible'"
        ))
        .unwrap() as usize
}

fn unpublished(system: &System) -> u64 {
    system
        .db
        .count("SELECT COUNT(*) FROM room_events WHERE published_at IS NULL")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_cut_during_posting_loses_and_duplicates_nothing() {
    // 45 posts from the one address a test has, faster than the shipped limits allow; this test
    // is about the broker cut (the limits have tests of their own in contract.rs).
    let mut system = System::start(Topology::load_test()).await.unwrap();
    let slug = "e2e-broker-cut";
    system.create_room(slug).await.unwrap();
    let watchers = clients(&system, slug, 5).await;
    let mut counts = Counts::default();
    for n in 0..45 {
        if n == 15 {
            system.broker_proxy.cut();
        }
        if n == 30 {
            system.broker_proxy.restore();
        }
        system.post_http(slug, "steady", &format!("post {n}")).await.unwrap();
        counts.sent += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    system.assert_all_running().unwrap();
    settle_and_check(&system, slug, counts.sent as u64, &watchers, &mut counts).await;
    counts.stored = stored_messages(&system, slug);
    assert_eq!(counts.stored, counts.sent);
    tm_testkit::wait_until(LONG, "outbox drained", || unpublished(&system) == 0).await;
    counts.print("broker_cut");
    system.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cms_killed_posts_queue_and_land_in_order_after_restart() {
    let mut system = System::start(Topology::default()).await.unwrap();
    let slug = "e2e-cms-down";
    system.create_room(slug).await.unwrap();
    let watchers = clients(&system, slug, 4).await;
    let poster = &watchers[0];
    let mut counts = Counts::default();

    system.cms[0].kill().await.unwrap();
    for n in 0..10 {
        poster.post_accepted("offline", &format!("queued {n}")).await.unwrap();
        counts.sent += 1;
    }
    for client in &watchers {
        client.snapshot(|o| assert!(o.close_codes.is_empty(), "a socket was closed while the CMS was down"));
    }
    assert!(
        system.gateways[0].is_running(),
        "the gateway keeps running while the CMS is down"
    );
    system.cms[0].start().await.unwrap();
    let log = settle_and_check(&system, slug, counts.sent as u64, &watchers, &mut counts).await;
    let bodies: Vec<String> = log
        .iter()
        .map(|e| e["data"]["body"].as_str().unwrap_or_default().to_owned())
        .collect();
    let expected: Vec<String> = (0..10).map(|n| format!("queued {n}")).collect();
    assert_eq!(bodies, expected, "queued posts land in the order they were sent");
    counts.stored = stored_messages(&system, slug);
    assert_eq!(counts.stored, counts.sent);
    counts.print("cms_killed");
    system.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_killed_clients_resume_without_gap_or_repeat() {
    // 15 quick HTTP posts from the one address a test has, past the shipped burst of 10; this
    // test is about the gateway restart (the limits have tests of their own in contract.rs).
    let mut system = System::start(Topology::load_test()).await.unwrap();
    let slug = "e2e-gw-restart";
    system.create_room(slug).await.unwrap();
    let watchers = clients(&system, slug, 6).await;
    let mut counts = Counts::default();
    for n in 0..5 {
        system.post_http(slug, "before", &format!("before {n}")).await.unwrap();
        counts.sent += 1;
    }
    system.gateways[0].kill().await.unwrap();
    for n in 0..5 {
        // Pages and HTTP posting keep working without the gateway.
        system.post_http(slug, "during", &format!("during {n}")).await.unwrap();
        counts.sent += 1;
    }
    let page = system
        .http
        .get(format!("{}/api/v1/rooms/{slug}", system.cms_url(0)))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    system.gateways[0].start().await.unwrap();
    for n in 0..5 {
        system.post_http(slug, "after", &format!("after {n}")).await.unwrap();
        counts.sent += 1;
    }
    settle_and_check(&system, slug, counts.sent as u64, &watchers, &mut counts).await;
    for client in &watchers {
        client.snapshot(|o| assert!(o.reconnects >= 1, "client did not notice the restart"));
    }
    counts.stored = stored_messages(&system, slug);
    assert_eq!(counts.stored, counts.sent);
    counts.print("gateway_killed");
    system.shutdown().await.unwrap();
}

/// Like the above, but nothing is posted after the restart: the posts made while the gateway
/// was down must reach the clients anyway (the new gateway does not know the room, learns its
/// head from the CMS and answers the clients' `since` with `reset`, so they fetch the gap).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_restarted_clients_get_what_was_posted_meanwhile_without_a_later_post() {
    let mut system = System::start(Topology::default()).await.unwrap();
    let slug = "e2e-gw-quiet-restart";
    system.create_room(slug).await.unwrap();
    let watchers = clients(&system, slug, 3).await;
    let mut counts = Counts::default();
    for n in 0..3 {
        system.post_http(slug, "before", &format!("before {n}")).await.unwrap();
        counts.sent += 1;
    }
    for client in &watchers {
        client.wait_for_seq(3, LONG).await.unwrap();
    }
    system.gateways[0].kill().await.unwrap();
    for n in 0..4 {
        system.post_http(slug, "during", &format!("during {n}")).await.unwrap();
        counts.sent += 1;
    }
    // The relay published them while no gateway queue was bound: they are gone from the bus.
    tm_testkit::wait_until(LONG, "the relay to publish the posts", || unpublished(&system) == 0).await;
    system.gateways[0].start().await.unwrap();
    settle_and_check(&system, slug, counts.sent as u64, &watchers, &mut counts).await;
    counts.stored = stored_messages(&system, slug);
    assert_eq!(counts.stored, counts.sent);
    counts.print("gateway_quiet_restart");
    system.shutdown().await.unwrap();
}

/// A broker outage seen by the gateway alone (its link cut, the CMS's intact): posts published
/// meanwhile never reach its queue. Nothing is posted after the link is back; the clients
/// must still get them (the gateway drops its buffer and head and asks again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_broker_outage_clients_get_what_was_posted_meanwhile_without_a_later_post() {
    let system = System::start(Topology::default()).await.unwrap();
    let slug = "e2e-gw-quiet-outage";
    system.create_room(slug).await.unwrap();
    let watchers = clients(&system, slug, 3).await;
    let mut counts = Counts::default();
    for n in 0..3 {
        system.post_http(slug, "before", &format!("before {n}")).await.unwrap();
        counts.sent += 1;
    }
    for client in &watchers {
        client.wait_for_seq(3, LONG).await.unwrap();
    }
    system.gateway_broker_proxy.cut();
    for n in 0..4 {
        system.post_http(slug, "during", &format!("during {n}")).await.unwrap();
        counts.sent += 1;
    }
    tm_testkit::wait_until(LONG, "the relay to publish the posts", || unpublished(&system) == 0).await;
    system.gateway_broker_proxy.restore();
    settle_and_check(&system, slug, counts.sent as u64, &watchers, &mut counts).await;
    counts.print("gateway_quiet_outage");
    system.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_unreachable_reads_503_posts_wait_and_land_gap_free() {
    let mut system = System::start(Topology::default()).await.unwrap();
    let slug = "e2e-db-down";
    system.create_room(slug).await.unwrap();
    let watchers = clients(&system, slug, 3).await;
    let mut counts = Counts::default();
    system.post_http(slug, "before", "before the outage").await.unwrap();
    counts.sent += 1;

    system.db_proxy.cut();
    let read = system
        .http
        .get(format!("{}/api/v1/rooms/{slug}/messages", system.cms_url(0)))
        .send()
        .await
        .unwrap();
    assert_eq!(
        read.status().as_u16(),
        503,
        "reads answer 503 while the database is away"
    );
    let poster = &watchers[0];
    for n in 0..8 {
        poster.post_accepted("patient", &format!("during {n}")).await.unwrap();
        counts.sent += 1;
    }
    tokio::time::sleep(Duration::from_secs(20)).await; // a real outage: consumers retry meanwhile
    let bus = system.inspect_bus().await.unwrap();
    assert_eq!(
        bus.dead_letter_depth(CommandQueue::CmsPosts).await.unwrap(),
        0,
        "nothing dead-lettered"
    );
    system.assert_all_running().unwrap();
    system.db_proxy.restore();

    let log = settle_and_check(&system, slug, counts.sent as u64, &watchers, &mut counts).await;
    let seqs: Vec<u64> = log.iter().filter_map(|e| e["seq"].as_u64()).collect();
    assert_eq!(seqs, (1..=9).collect::<Vec<u64>>(), "gap-free seq");
    counts.stored = stored_messages(&system, slug);
    assert_eq!(counts.stored, counts.sent);
    counts.print("database_unreachable");
    bus.close().await;
    system.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_command_is_dead_lettered_once_and_the_flow_continues() {
    let system = System::start(Topology::default()).await.unwrap();
    let slug = "e2e-poison";
    system.create_room(slug).await.unwrap();
    let watchers = clients(&system, slug, 2).await;
    let bus = system.inspect_bus().await.unwrap();
    let publisher = bus.publisher().await.unwrap();
    publisher
        .publish_raw(
            tm_bus::Exchange::Commands,
            "post.submit",
            "poison-1",
            b"{this is not json",
        )
        .await
        .unwrap();
    watchers[0].post("after-poison", "still flowing").unwrap();
    let mut counts = Counts {
        sent: 1,
        ..Default::default()
    };
    settle_and_check(&system, slug, counts.sent as u64, &watchers, &mut counts).await;
    tm_testkit::wait_until_async(LONG, "poison in the dead-letter queue", || async {
        bus.dead_letter_depth(CommandQueue::CmsPosts).await.unwrap_or(0) == 1
    })
    .await;
    counts.stored = stored_messages(&system, slug);
    assert_eq!(counts.stored, 1);
    counts.print("poison");
    bus.close().await;
    system.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_of_each_agree_and_survive_losing_one() {
    // watchers[0] posts 12 times in quick succession, past the shipped burst of 10; this test
    // is about losing one of each service (the limits have tests of their own in contract.rs).
    let mut system = System::start(Topology {
        cms: 2,
        gateways: 2,
        raised_posting_limits: true,
        ..Topology::default()
    })
    .await
    .unwrap();
    let slug = "e2e-two-of-each";
    system.create_room(slug).await.unwrap();
    let watchers = clients(&system, slug, 8).await; // spread over both gateways
    let mut counts = Counts::default();
    for n in 0..10 {
        watchers[n % watchers.len()]
            .post_accepted("spread", &format!("first {n}"))
            .await
            .unwrap();
        counts.sent += 1;
    }
    settle_and_check(&system, slug, counts.sent as u64, &watchers, &mut counts).await;
    system.cms[1].kill().await.unwrap();
    system.gateways[1].kill().await.unwrap();
    for n in 0..10 {
        watchers[0]
            .post_accepted("survivor", &format!("second {n}"))
            .await
            .unwrap();
        counts.sent += 1;
    }
    system.gateways[1].start().await.unwrap();
    settle_and_check(&system, slug, counts.sent as u64, &watchers, &mut counts).await;
    counts.stored = stored_messages(&system, slug);
    assert_eq!(counts.stored, counts.sent);
    counts.print("two_of_each");
    system.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_exits_cleanly_and_loses_nothing() {
    let mut system = System::start(Topology::default()).await.unwrap();
    let slug = "e2e-sigterm";
    system.create_room(slug).await.unwrap();
    let watchers = clients(&system, slug, 3).await;
    let mut counts = Counts::default();
    for n in 0..10 {
        watchers[0].post_accepted("load", &format!("load {n}")).await.unwrap();
        counts.sent += 1;
    }
    assert!(
        system.gateways[0].terminate(Duration::from_secs(30)).await.unwrap(),
        "gateway exit status"
    );
    for client in &watchers {
        client
            .wait_until(LONG, "1001 going away", |o| o.close_codes.contains(&1001))
            .await
            .unwrap();
    }
    assert!(
        system.cms[0].terminate(Duration::from_secs(30)).await.unwrap(),
        "cms exit status"
    );
    system.cms[0].start().await.unwrap();
    system.gateways[0].start().await.unwrap();
    settle_and_check(&system, slug, counts.sent as u64, &watchers, &mut counts).await;
    counts.stored = stored_messages(&system, slug);
    assert_eq!(counts.stored, counts.sent);
    counts.print("sigterm");
    system.shutdown().await.unwrap();
}
