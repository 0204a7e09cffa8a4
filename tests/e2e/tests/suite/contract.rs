//! The post contract of PROTOCOL.md, with the shipped limits: after `accepted`, exactly one of
//! the post's `message.created` or a `rejected` frame reaches its poster. Never silence.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::json;
use tm_e2e::system::{System, Topology};

const WAIT: Duration = Duration::from_secs(60);

/// The report: thirty rapid posts in one room, half over the WebSocket and half over HTTP. The
/// HTTP ones past the burst got 429, but the gateway answered `accepted` to WebSocket posts the
/// CMS then dropped for its rate limit (11 of 21 acknowledged posts were never delivered and
/// never refused). Now each accepted post ends delivered or rejected, none silent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_rapid_posts_each_end_delivered_or_refused_with_the_shipped_limits() {
    let system = System::start(Topology::default()).await.unwrap();
    let slug = "e2e-thirty";
    system.create_room(slug).await.unwrap();
    let poster = system.join(slug, 0).await.unwrap();
    let watcher = system.join(slug, 0).await.unwrap();

    let mut ws_ids = Vec::new();
    let mut http_created = 0;
    let mut http_refused = 0;
    for n in 0..15 {
        ws_ids.push(poster.post("ws", &format!("ws {n}")).unwrap());
        let response = system
            .http
            .post(format!("{}/api/v1/rooms/{slug}/messages", system.cms_url(0)))
            .json(&json!({"nickname": "http", "body": format!("http {n}"), "client_id": uuid::Uuid::new_v4()}))
            .send()
            .await
            .unwrap();
        match response.status().as_u16() {
            201 => http_created += 1,
            429 => http_refused += 1,
            other => panic!("unexpected HTTP answer {other}"),
        }
    }
    assert!(http_refused > 0, "fifteen rapid HTTP posts pass the shipped burst");

    // Every WebSocket post is answered: `accepted`, or an `error` before it was queued.
    let answered = |o: &tm_e2e::live::Observed, id: &str| {
        o.accepted.iter().any(|a| a == id) || o.errors.iter().any(|e| e["client_id"] == id)
    };
    let ids = ws_ids.clone();
    poster
        .wait_until(WAIT, "every post answered", move |o| {
            ids.iter().all(|id| answered(o, id))
        })
        .await
        .unwrap();
    let accepted: Vec<String> = poster.snapshot(|o| o.accepted.clone());
    assert!(!accepted.is_empty());

    // Each accepted post ends delivered or rejected: exactly one of the two.
    let delivered = |o: &tm_e2e::live::Observed, id: &str| {
        o.events
            .iter()
            .filter(|e| e.event == "message.created" && e.data["client_id"] == id)
            .count()
    };
    let rejected = |o: &tm_e2e::live::Observed, id: &str| o.rejected.iter().filter(|r| r["client_id"] == id).count();
    let ids = accepted.clone();
    poster
        .wait_until(WAIT, "every accepted post delivered or rejected", move |o| {
            ids.iter().all(|id| delivered(o, id) + rejected(o, id) >= 1)
        })
        .await
        .unwrap();
    let (delivered_ids, rejected_ids) = poster.snapshot(|o| {
        for id in &accepted {
            assert_eq!(
                delivered(o, id) + rejected(o, id),
                1,
                "post {id}: exactly one outcome (delivered {}, rejected {})",
                delivered(o, id),
                rejected(o, id)
            );
        }
        for r in &o.rejected {
            assert_eq!(r["code"], "slow_down", "{r}");
            assert!(r["message"].as_str().is_some_and(|m| !m.is_empty()), "{r}");
        }
        let delivered_ids: HashSet<String> = accepted.iter().filter(|id| delivered(o, id) == 1).cloned().collect();
        let rejected_ids: HashSet<String> = accepted.iter().filter(|id| rejected(o, id) == 1).cloned().collect();
        (delivered_ids, rejected_ids)
    });
    assert!(
        !rejected_ids.is_empty(),
        "fifteen rapid posts from one participant pass the shipped burst of 10: some must be refused"
    );

    // What the watcher sees, and what is stored, is exactly what was delivered: nothing else.
    let stored = (delivered_ids.len() + http_created) as u64;
    watcher.wait_for_seq(stored, WAIT).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await; // a late extra event would show now
    watcher.snapshot(|o| {
        assert_eq!(o.last_seq, stored, "no post shows up beyond the delivered ones");
        assert!(o.rejected.is_empty(), "a rejection reaches its poster only");
    });
    let stored_rows = system
        .db
        .count(&format!(
            "SELECT COUNT(*) FROM messages m JOIN rooms r ON r.id = m.room_id WHERE r.slug = '{slug}'"
        ))
        .unwrap();
    assert_eq!(stored_rows, stored);
    system.shutdown().await.unwrap();
}
