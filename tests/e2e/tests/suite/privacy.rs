//! Issue 13 through the real binaries: the gateway joins exactly the room its token names (a
//! password room's events reach its members and owner only), and a deleted message's text is in
//! no replay, neither the gateway's nor the CMS's.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tm_e2e::system::{System, Topology};
use tokio_tungstenite::tungstenite::Message as Frame;

const WAIT: Duration = Duration::from_secs(30);

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn join_token(http: &reqwest::Client, system: &System, slug: &str, bearer: Option<&str>, body: Value) -> String {
    let mut request = http
        .post(format!("{}/api/v1/rooms/{slug}/join", system.cms_url(0)))
        .json(&body);
    if let Some(bearer) = bearer {
        request = request.bearer_auth(bearer);
    }
    let answer: Value = request
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["token"].as_str().unwrap().to_owned()
}

/// The next JSON frame, or panics after [`WAIT`].
async fn next_frame(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a frame in time")
            .expect("socket open")
            .unwrap();
        if let Frame::Text(text) = frame {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

/// Opens a socket and sends `join` with `token`; returns the socket and the gateway's answer.
async fn join_socket(system: &System, token: &str) -> (Socket, Value) {
    let (mut socket, _) = tokio_tungstenite::connect_async(system.gateway_ws(0)).await.unwrap();
    socket
        .send(Frame::text(
            json!({"type": "join", "token": token, "since": 0}).to_string(),
        ))
        .await
        .unwrap();
    let answer = next_frame(&mut socket).await;
    (socket, answer)
}

/// Reads frames until `done` holds for one; returns every event frame seen on the way.
async fn events_until(socket: &mut Socket, done: impl Fn(&Value) -> bool) -> Vec<Value> {
    let mut events = Vec::new();
    loop {
        let frame = next_frame(socket).await;
        if frame["type"] == "event" {
            events.push(frame.clone());
        }
        if done(&frame) {
            return events;
        }
    }
}

fn carries(frame: &Value, text: &str) -> bool {
    frame.to_string().contains(text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_joins_only_the_room_its_token_names() {
    let system = System::start(Topology::default()).await.unwrap();
    let http = reqwest::Client::new();
    let created: Value = http
        .post(format!("{}/api/v1/rooms", system.cms_url(0)))
        .json(&json!({"name": "e2e-vault", "lifetime": "1d", "password": "open sesame"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let owner_token = created["owner_token"].as_str().unwrap().to_owned();
    system.create_room("e2e-next-door").await.unwrap();

    // {no credential, another room's token, member, owner} at the gateway's door.
    let (_none, refused) = join_socket(&system, "").await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["code"], "invalid_token");
    let (_raw_owner, refused) = join_socket(&system, &owner_token).await;
    assert_eq!(
        refused["code"], "invalid_token",
        "the owner token itself is no join token"
    );
    let other_token = join_token(&http, &system, "e2e-next-door", None, json!({})).await;
    let member_token = join_token(&http, &system, "e2e-vault", None, json!({"password": "open sesame"})).await;
    let owner_join = join_token(&http, &system, "e2e-vault", Some(&owner_token), json!({})).await;
    let (mut other, joined) = join_socket(&system, &other_token).await;
    assert_eq!(
        joined["room"], "e2e-next-door",
        "another room's token joins that room, not this one"
    );
    let (mut member, joined) = join_socket(&system, &member_token).await;
    assert_eq!(joined["room"], "e2e-vault");
    let (mut owner, joined) = join_socket(&system, &owner_join).await;
    assert_eq!(joined["room"], "e2e-vault");

    let posted = http
        .post(format!("{}/api/v1/rooms/e2e-vault/messages", system.cms_url(0)))
        .bearer_auth(&owner_token)
        .json(&json!({"nickname": "Owner", "body": "vault-only text"}))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 201);
    for socket in [&mut member, &mut owner] {
        events_until(socket, |f| carries(f, "vault-only text")).await;
    }
    // The other room's socket sees its own room's next event and nothing of the vault's.
    system
        .post_http("e2e-next-door", "Neighbour", "next door text")
        .await
        .unwrap();
    let seen = events_until(&mut other, |f| carries(f, "next door text")).await;
    assert!(!seen.iter().any(|f| carries(f, "vault-only")), "{seen:?}");
    system.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_message_is_in_no_replay() {
    let system = System::start(Topology::default()).await.unwrap();
    let room = system.create_room("e2e-regrets").await.unwrap();
    let owner_token = room["owner_token"].as_str().unwrap();
    let first = system.join("e2e-regrets", 0).await.unwrap(); // the gateway buffers the room
    system.post_http("e2e-regrets", "Ada", "keep this").await.unwrap();
    let doomed = system
        .post_http("e2e-regrets", "Ada", "regrettable text")
        .await
        .unwrap();
    first.wait_for_seq(2, WAIT).await.unwrap();
    let deleted = reqwest::Client::new()
        .delete(format!(
            "{}/api/v1/rooms/e2e-regrets/messages/{}",
            system.cms_url(0),
            doomed["id"]
        ))
        .bearer_auth(owner_token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    first.wait_for_seq(3, WAIT).await.unwrap();

    // A late joiner replays from the gateway's buffer (or, after a reset, from /events).
    let late = system.join("e2e-regrets", 0).await.unwrap();
    late.wait_for_seq(3, WAIT).await.unwrap();
    let replayed = late.snapshot(|o| o.events.clone());
    assert!(
        !replayed.iter().any(|e| e.data.to_string().contains("regrettable")),
        "{replayed:?}"
    );
    let entry = replayed.iter().find(|e| e.seq == 2).unwrap();
    assert_eq!(entry.event, "message.created");
    assert_eq!(entry.data["deleted"], true);
    assert_eq!(entry.data["id"], doomed["id"]);
    let log = system.events("e2e-regrets").await.unwrap();
    assert!(!log.iter().any(|e| e.to_string().contains("regrettable")), "{log:?}");
    system.shutdown().await.unwrap();
}
