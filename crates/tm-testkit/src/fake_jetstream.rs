//! A local fake of Bluesky's Jetstream (`/subscribe`): the JSON frames of docs/sources.md (`commit`
//! create/delete of `app.bsky.feed.post` and other collections, `identity`), `wantedCollections`
//! filtering of commits, and `cursor` replay from its history. A test can drop every connection
//! and take the server down (connections accepted and closed at once) to make a gap, during which
//! posts still happen and wait in the history for the client's cursor.

// A test double: when it cannot do its job it panics, which fails the test that uses it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::result_large_err)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::Message;

pub const POST: &str = "app.bsky.feed.post";

/// One emitted frame.
#[derive(Clone)]
struct Emitted {
    time_us: i64,
    /// The commit's collection; `None` for identity/account frames (never filtered).
    collection: Option<String>,
    /// `at://<did>/<collection>/<rkey>` of a commit.
    uri: Option<String>,
    text: String,
}

#[derive(Default)]
struct State {
    history: Vec<Emitted>,
    last_time_us: i64,
    /// Query strings of accepted connections, in order.
    queries: Vec<String>,
    live: usize,
}

/// The running fake.
pub struct FakeJetstream {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    frames: broadcast::Sender<Emitted>,
    kill: watch::Sender<u64>,
    down: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl Drop for FakeJetstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeJetstream {
    pub async fn start() -> FakeJetstream {
        Self::start_on("127.0.0.1:0").await
    }

    /// Binds `addr` (a fixed port lets a test restart the fake where the client expects it).
    pub async fn start_on(addr: &str) -> FakeJetstream {
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let (frames, _) = broadcast::channel(4096);
        let (kill, _) = watch::channel(0u64);
        let down = Arc::new(AtomicBool::new(false));
        let (st, tx, k, d) = (state.clone(), frames.clone(), kill.clone(), down.clone());
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                if d.load(Ordering::SeqCst) {
                    drop(conn); // down: the client sees a network error
                    continue;
                }
                tokio::spawn(serve(conn, st.clone(), tx.clone(), k.subscribe()));
            }
        });
        FakeJetstream {
            addr,
            state,
            frames,
            kill,
            down,
            task,
        }
    }

    /// The `subscribe` URL, as configured in `[bluesky] endpoints`.
    pub fn endpoint(&self) -> String {
        format!("ws://{}/subscribe", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Query strings of the connections accepted so far.
    pub fn queries(&self) -> Vec<String> {
        self.state.lock().unwrap().queries.clone()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.queries().len()
    }

    /// Connections open now.
    pub fn live(&self) -> usize {
        self.state.lock().unwrap().live
    }

    /// Closes every open connection (without a close frame, like a dropped link).
    pub fn drop_connections(&self) {
        self.kill.send_modify(|generation| *generation += 1);
    }

    /// While down, new connections are accepted and closed at once.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// `time_us` of the first frame about this AT URI (its create).
    pub fn time_of(&self, uri: &str) -> Option<i64> {
        let st = self.state.lock().unwrap();
        st.history
            .iter()
            .find(|f| f.uri.as_deref() == Some(uri))
            .map(|f| f.time_us)
    }

    /// Emits a frame (assigning its `time_us`, strictly increasing) and returns the time.
    fn emit(&self, collection: Option<&str>, uri: Option<String>, build: impl FnOnce(i64) -> Value) -> i64 {
        let mut st = self.state.lock().unwrap();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_micros() as i64;
        let time_us = now.max(st.last_time_us + 1);
        st.last_time_us = time_us;
        let emitted = Emitted {
            time_us,
            collection: collection.map(str::to_owned),
            uri,
            text: build(time_us).to_string(),
        };
        st.history.push(emitted.clone());
        let _ = self.frames.send(emitted);
        time_us
    }

    /// A post with tag facets for `tags` (no `#`), as the Bluesky app creates it.
    pub fn post(&self, did: &str, rkey: &str, text: &str, tags: &[&str]) -> i64 {
        let facets: Vec<Value> = tags
            .iter()
            .map(|tag| {
                let needle = format!("#{tag}");
                let start = text.find(&needle).unwrap_or(0);
                json!({"$type": "app.bsky.richtext.facet",
                       "index": {"byteStart": start, "byteEnd": start + needle.len()},
                       "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}]})
            })
            .collect();
        let mut record = json!({"$type": POST, "text": text, "createdAt": "2026-11-23T09:10:00.000Z", "langs": ["en"]});
        if !facets.is_empty() {
            record["facets"] = Value::Array(facets);
        }
        self.commit(did, "create", POST, rkey, Some(record))
    }

    /// A commit of any collection; `record` is absent for deletes.
    pub fn commit(&self, did: &str, operation: &str, collection: &str, rkey: &str, record: Option<Value>) -> i64 {
        let uri = format!("at://{did}/{collection}/{rkey}");
        let (did, operation, rkey) = (did.to_owned(), operation.to_owned(), rkey.to_owned());
        self.emit(Some(collection), Some(uri), move |time_us| {
            let mut commit = json!({"rev": format!("3l{time_us}"), "operation": operation,
                                    "collection": collection, "rkey": rkey});
            if let Some(record) = record {
                commit["record"] = record;
                commit["cid"] = json!(format!("bafyrei{time_us}"));
            }
            json!({"did": did, "time_us": time_us, "kind": "commit", "commit": commit})
        })
    }

    /// The author deleted a post.
    pub fn delete(&self, did: &str, rkey: &str) -> i64 {
        self.commit(did, "delete", POST, rkey, None)
    }

    /// An identity frame: `did` now has `handle`.
    pub fn identity(&self, did: &str, handle: &str) -> i64 {
        let (did, handle) = (did.to_owned(), handle.to_owned());
        self.emit(None, None, move |time_us| {
            json!({"did": did, "time_us": time_us, "kind": "identity",
                   "identity": {"did": did, "handle": handle, "seq": time_us, "time": "2026-11-23T09:00:00.000Z"}})
        })
    }
}

fn query_values<'q>(query: &'q str, key: &str) -> Vec<&'q str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(k, _)| *k == key)
        .map(|(_, v)| v)
        .collect()
}

fn wanted(collections: &[String], frame: &Emitted) -> bool {
    match &frame.collection {
        None => true,
        Some(c) => collections.is_empty() || collections.contains(c),
    }
}

async fn serve(
    conn: tokio::net::TcpStream,
    state: Arc<Mutex<State>>,
    frames: broadcast::Sender<Emitted>,
    mut kill: watch::Receiver<u64>,
) {
    let query = Arc::new(Mutex::new(String::new()));
    let q = query.clone();
    let check = move |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        if req.uri().path() != "/subscribe" {
            let mut err = ErrorResponse::new(Some("not found".into()));
            *err.status_mut() = StatusCode::NOT_FOUND;
            return Err(err);
        }
        *q.lock().unwrap() = req.uri().query().unwrap_or("").to_owned();
        Ok(resp)
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(conn, check).await else {
        return;
    };
    kill.mark_unchanged();
    let query = query.lock().unwrap().clone();
    let collections: Vec<String> = query_values(&query, "wantedCollections")
        .into_iter()
        .map(str::to_owned)
        .collect();
    let cursor: Option<i64> = query_values(&query, "cursor").first().and_then(|c| c.parse().ok());
    // Subscribe before reading the history, so nothing falls between the replay and live frames.
    let mut live = frames.subscribe();
    let replay: Vec<Emitted> = {
        let mut st = state.lock().unwrap();
        st.queries.push(query.clone());
        st.live += 1;
        match cursor {
            Some(cursor) => st.history.iter().filter(|f| f.time_us >= cursor).cloned().collect(),
            None => Vec::new(),
        }
    };
    let mut sent_up_to = i64::MIN;
    let mut ok = true;
    for frame in replay.into_iter().filter(|f| wanted(&collections, f)) {
        sent_up_to = frame.time_us;
        if ws.send(Message::Text(frame.text.into())).await.is_err() {
            ok = false;
            break;
        }
    }
    while ok {
        ok = false;
        tokio::select! {
            _ = kill.changed() => {}
            msg = ws.next() => match msg {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {}
                Some(Ok(_)) => ok = true,
            },
            frame = live.recv() => match frame {
                Ok(frame) if frame.time_us > sent_up_to && wanted(&collections, &frame) => {
                    ok = ws.send(Message::Text(frame.text.into())).await.is_ok();
                }
                Ok(_) => ok = true,
                // A slow client is dropped, as Jetstream does; a closed channel ends the fake.
                Err(_) => {}
            },
        }
    }
    state.lock().unwrap().live -= 1;
    // Dropping the socket without a close frame: the client sees a lost connection.
    drop(ws);
}
