//! The watch list survives restarts without a database: the state file brings back what was
//! known, and changes published while the ingester was down wait in its durable queue.

use std::time::Duration;

use tm_core::event::SourcesChanged;
use tm_core::Envelope;
use tm_ingest::state::StateStore;
use tm_ingest::watch::WatchList;

use crate::support::fake_mastodon::FakeMastodon;
use crate::support::*;

#[tokio::test]
async fn a_restart_resumes_from_the_state_file_and_the_durable_queue_without_the_cms() {
    init_test_tracing();
    let prefix = unique_prefix();
    let state_dir = std::env::temp_dir().join(format!("tm-ingest-{}", prefix.trim_end_matches('.')));
    // What the previous run knew (after a snapshot): room 42 follows #optics.
    StateStore::new(Some(&state_dir)).save(&WatchList::from_rooms([(42, ["optics"])]).completed());
    // While no ingester runs, the CMS reports that room 7 now follows #chem. Nobody answers
    // snapshot requests in this test: the CMS is down.
    let bus = connect_bus(&prefix, "cms-while-ingest-is-down").await;
    let change = SourcesChanged {
        room_id: 7,
        hashtags: vec!["chem".into()],
    };
    bus.publisher()
        .await
        .unwrap()
        .publish(&Envelope::new("tm-cms", change))
        .await
        .unwrap();

    let mastodon = FakeMastodon::start().await;
    let mut cfg = with_mastodon(settings(&prefix), &mastodon);
    cfg.state.dir = state_dir.display().to_string();
    let ingester = TestIngester::spawn(cfg).await;

    wait_until(
        DEADLINE,
        "subscribed from the state file plus the queued change",
        || mastodon.subscriptions() == vec!["chem", "optics"],
    )
    .await;
    wait_until(DEADLINE, "the state file has the queued change too", || {
        StateStore::new(Some(&state_dir)).load().rooms_for_tags(&["chem"]) == vec![7]
    })
    .await;

    ingester.stop().await;
    let cleanup = async {
        let _ = bus.delete_topology().await;
        bus.close().await;
    };
    let _ = tokio::time::timeout(Duration::from_secs(10), cleanup).await;
    let _ = std::fs::remove_dir_all(state_dir);
}
