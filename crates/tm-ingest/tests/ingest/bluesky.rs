//! Bluesky: the real Jetstream client against the fake. Matching posts become items with the
//! author's handle and the post's link; nothing is missed or doubled across a dropped connection
//! or a restart (the cursor in the state directory, rewound, and AT URIs deduped); a delete of a
//! delivered post becomes `ingest.retract`.

use std::sync::atomic::Ordering::Relaxed;

use tm_core::event::{IngestRetract, IngestSource};

use crate::support::fake_jetstream::FakeJetstream;
use crate::support::*;

const ADA: &str = "did:plc:adaadaadaadaadaadaadaada";
const BOB: &str = "did:plc:bobbobbobbobbobbobbobbob";

fn uri(did: &str, rkey: &str) -> String {
    format!("at://{did}/app.bsky.feed.post/{rkey}")
}

fn cursor_of(query: &str) -> Option<i64> {
    query
        .split('&')
        .find_map(|p| p.strip_prefix("cursor="))
        .and_then(|c| c.parse().ok())
}

#[tokio::test]
async fn matching_posts_arrive_once_across_drops_and_restarts_and_deletes_are_retracted() {
    init_test_tracing();
    let prefix = unique_prefix();
    let state_dir = std::env::temp_dir().join(format!("tm-ingest-bsky-{}", uuid::Uuid::new_v4().simple()));
    let jetstream = FakeJetstream::start().await;
    let cms = CmsStandIn::start(&prefix)
        .await
        .with_rooms(&[(42, &["physics101"]), (7, &["optics"])]);
    let mut cfg = with_bluesky(settings(&prefix), &jetstream);
    cfg.state.dir = state_dir.display().to_string();
    let ingester = TestIngester::spawn(cfg.clone()).await;

    wait_until(DEADLINE, "connected, with the watch list loaded", || {
        jetstream.live() == 1 && ingester.metrics.bluesky.rules.load(Relaxed) == 2
    })
    .await;
    let first = &jetstream.queries()[0];
    assert_eq!(
        first, "wantedCollections=app.bsky.feed.post",
        "no cursor yet: start live"
    );

    jetstream.identity(ADA, "ada.bsky.social");
    jetstream.post(ADA, "3kmatch", "Waves today #Physics101 🌊", &["Physics101"]);
    jetstream.post(BOB, "3kother", "Cooking #pasta", &["pasta"]);
    jetstream.post(BOB, "3ktext", "No facets, but #OPTICS in the text", &[]);
    jetstream.commit(
        BOB,
        "create",
        "app.bsky.feed.like",
        "3klike",
        Some(serde_json::json!({"subject": {}})),
    );
    wait_until(DEADLINE, "both matching posts arrive", || {
        cms.item(&uri(ADA, "3kmatch")).is_some() && cms.item(&uri(BOB, "3ktext")).is_some()
    })
    .await;
    let item = cms.item(&uri(ADA, "3kmatch")).unwrap();
    assert_eq!(item.source, IngestSource::Bluesky);
    assert_eq!(item.room_ids, vec![42]);
    assert_eq!(item.author, "ada.bsky.social", "the handle from the identity frame");
    assert_eq!(item.author_id.as_deref(), Some(ADA));
    assert_eq!(item.text, "Waves today #Physics101 🌊");
    assert_eq!(item.url, format!("https://bsky.app/profile/{ADA}/post/3kmatch"));
    let text_match = cms.item(&uri(BOB, "3ktext")).unwrap();
    assert_eq!(text_match.room_ids, vec![7]);
    assert_eq!(text_match.author, BOB, "no identity seen: the DID");
    assert!(
        cms.item(&uri(BOB, "3kother")).is_none(),
        "a post on another tag is filtered out"
    );

    // The link drops; posts happen while the client cannot connect.
    jetstream.set_down(true);
    jetstream.drop_connections();
    wait_until(DEADLINE, "the connection is gone", || jetstream.live() == 0).await;
    jetstream.post(ADA, "3kgap1", "during the gap #physics101", &["physics101"]);
    jetstream.post(BOB, "3kgap2", "also during the gap #optics", &["optics"]);
    jetstream.set_down(false);
    wait_until(DEADLINE, "the posts of the gap arrive after the reconnect", || {
        cms.item(&uri(ADA, "3kgap1")).is_some() && cms.item(&uri(BOB, "3kgap2")).is_some()
    })
    .await;
    let reconnect = jetstream.queries().last().unwrap().clone();
    let cursor = cursor_of(&reconnect).expect("the reconnect carries a cursor");
    assert!(
        reconnect.contains("wantedCollections=app.bsky.feed.post"),
        "{reconnect}"
    );
    assert!(ingester.metrics.bluesky.reconnects.load(Relaxed) >= 1);

    // The replay started before the first match (rewound), yet nothing arrived twice.
    jetstream.post(ADA, "3kmarker", "marker #physics101", &["physics101"]);
    wait_until(DEADLINE, "the marker arrives", || {
        cms.item(&uri(ADA, "3kmarker")).is_some()
    })
    .await;
    for (did, rkey) in [(ADA, "3kmatch"), (BOB, "3ktext"), (ADA, "3kgap1"), (BOB, "3kgap2")] {
        assert_eq!(cms.count(&uri(did, rkey)), 1, "{rkey} exactly once");
    }
    assert!(
        cursor <= jetstream.time_of(&uri(ADA, "3kmatch")).unwrap(),
        "rewound to before posts already delivered, which the replay then carried again"
    );

    // An upstream delete of a delivered post is retracted; of any other post, ignored.
    jetstream.delete(BOB, "3kother");
    jetstream.delete(ADA, "3kmatch");
    wait_until(DEADLINE, "the retract arrives", || !cms.retracts().is_empty()).await;
    jetstream.post(ADA, "3kmarker2", "marker #physics101", &["physics101"]);
    wait_until(DEADLINE, "the second marker arrives", || {
        cms.item(&uri(ADA, "3kmarker2")).is_some()
    })
    .await;
    assert_eq!(
        cms.retracts(),
        vec![IngestRetract {
            source: IngestSource::Bluesky,
            external_id: uri(ADA, "3kmatch")
        }]
    );

    // A restart: what happened while the ingester was down comes from the stored cursor.
    ingester.stop().await;
    jetstream.post(BOB, "3kwhiledown", "while tm-ingest was stopped #optics", &["optics"]);
    jetstream.delete(ADA, "3kgap1");
    let ingester = TestIngester::spawn(cfg).await;
    wait_until(
        DEADLINE,
        "the post made while stopped arrives after the restart",
        || cms.item(&uri(BOB, "3kwhiledown")).is_some(),
    )
    .await;
    wait_until(DEADLINE, "the delete made while stopped is retracted", || {
        cms.retracts().iter().any(|r| r.external_id == uri(ADA, "3kgap1"))
    })
    .await;
    let restart_query = jetstream.queries().last().unwrap().clone();
    assert!(cursor_of(&restart_query).is_some(), "{restart_query}");
    jetstream.post(ADA, "3kmarker3", "marker #physics101", &["physics101"]);
    wait_until(DEADLINE, "the third marker arrives", || {
        cms.item(&uri(ADA, "3kmarker3")).is_some()
    })
    .await;
    for (did, rkey) in [
        (ADA, "3kgap1"),
        (BOB, "3kgap2"),
        (ADA, "3kmarker2"),
        (BOB, "3kwhiledown"),
    ] {
        assert_eq!(
            cms.count(&uri(did, rkey)),
            1,
            "{rkey} exactly once, also after the restart"
        );
    }
    assert_eq!(cms.retracts().len(), 2, "no retract twice: {:?}", cms.retracts());

    // The rules gauge is refreshed with the cursor save (every `cursor_save_ms`), so right
    // after the restart it may still read 0: wait for it rather than race the save.
    let expected = [
        "tm_ingest_source_enabled{source=\"bluesky\"} 1",
        "tm_ingest_source_connected{source=\"bluesky\"} 1",
        "tm_ingest_source_rules{source=\"bluesky\"} 2",
    ];
    let started = std::time::Instant::now();
    loop {
        let (_, metrics) = ingester.get("/metrics").await;
        if expected.iter().all(|line| metrics.contains(line)) {
            break;
        }
        assert!(started.elapsed() < DEADLINE, "{expected:?} in\n{metrics}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ingester.metrics.bluesky_frames.load(Relaxed) > 0);
    ingester.stop().await;
    cms.finish().await;
    let _ = std::fs::remove_dir_all(state_dir);
}

#[tokio::test]
async fn a_failing_endpoint_fails_over_to_the_next_with_network_backoff() {
    init_test_tracing();
    let prefix = unique_prefix();
    let good = FakeJetstream::start().await;
    let dead = FakeJetstream::start().await;
    dead.set_down(true);
    let cms = CmsStandIn::start(&prefix).await.with_rooms(&[(42, &["physics101"])]);
    let mut cfg = settings(&prefix);
    cfg.bluesky.endpoints = vec![dead.endpoint(), good.endpoint()];
    cfg.bluesky.cursor_save_ms = 50;
    let ingester = TestIngester::spawn(cfg).await;
    wait_until(
        DEADLINE,
        "connected to the second endpoint, with the watch list",
        || good.live() == 1 && ingester.metrics.bluesky.rules.load(Relaxed) == 1,
    )
    .await;
    assert_eq!(ingester.sleeper.waits()[0], std::time::Duration::from_millis(250));
    good.post(ADA, "3kfo", "#physics101 via failover", &["physics101"]);
    wait_until(DEADLINE, "the post arrives", || cms.item(&uri(ADA, "3kfo")).is_some()).await;
    ingester.stop().await;
    cms.finish().await;
}
