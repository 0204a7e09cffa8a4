//! A local fake of Mastodon's streaming WebSocket (`/api/v1/streaming`): bearer auth on the
//! handshake, in-band `subscribe`/`unsubscribe` per hashtag, and `update` frames whose
//! `payload` is the Status JSON *as a string*, sent only to connections subscribed to the tag.

// A test double: when it cannot do its job it panics, which fails the test that uses it.
// The handshake callback's error type is tungstenite's, whatever its size.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::result_large_err)]

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::Message;

pub const TOKEN: &str = "test-user-token";

#[derive(Default)]
struct State {
    subscribed: BTreeSet<String>,
    /// Every control message received, in order, e.g. `subscribe optics`.
    log: Vec<String>,
    connections: usize,
}

/// The running fake.
pub struct FakeMastodon {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    frames: broadcast::Sender<(String, String)>,
    task: JoinHandle<()>,
}

impl Drop for FakeMastodon {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeMastodon {
    pub async fn start() -> FakeMastodon {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let (frames, _) = broadcast::channel(64);
        let (st, tx) = (state.clone(), frames.clone());
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(serve(conn, st.clone(), tx.subscribe()));
            }
        });
        FakeMastodon {
            addr,
            state,
            frames,
            task,
        }
    }

    pub fn streaming_url(&self) -> String {
        format!("ws://{}/api/v1/streaming", self.addr)
    }

    /// Hashtags subscribed on the current connection.
    pub fn subscriptions(&self) -> Vec<String> {
        self.state.lock().unwrap().subscribed.iter().cloned().collect()
    }

    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn connections(&self) -> usize {
        self.state.lock().unwrap().connections
    }

    /// Publishes a status on the `hashtag` stream of `tag`.
    pub fn post(&self, tag: &str, status: &Value) {
        let frame = json!({"stream": ["hashtag", tag], "event": "update", "payload": status.to_string()});
        let _ = self.frames.send((tag.to_owned(), frame.to_string()));
    }

    /// A status as Mastodon renders it.
    pub fn status(id: &str, acct: &str, html: &str, tags: &[&str]) -> Value {
        json!({
            "id": id, "uri": format!("https://fake.social/users/{acct}/statuses/{id}"),
            "url": format!("https://fake.social/@{acct}/{id}"), "created_at": "2026-11-23T03:00:00.000Z",
            "content": html, "spoiler_text": "", "visibility": "public", "sensitive": false,
            "account": {"id": "1", "acct": acct, "username": acct, "display_name": acct,
                        "url": format!("https://fake.social/@{acct}")},
            "tags": tags.iter().map(|t| json!({"name": t, "url": format!("https://fake.social/tags/{t}")})).collect::<Vec<_>>(),
        })
    }
}

async fn serve(
    conn: tokio::net::TcpStream,
    state: Arc<Mutex<State>>,
    mut frames: broadcast::Receiver<(String, String)>,
) {
    let check = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        let ok = req.uri().path() == "/api/v1/streaming"
            && req.headers().get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"));
        if ok {
            Ok(resp)
        } else {
            let mut err = ErrorResponse::new(Some(r#"{"error":"Missing access token"}"#.into()));
            *err.status_mut() = StatusCode::UNAUTHORIZED;
            Err(err)
        }
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(conn, check).await else {
        return;
    };
    {
        let mut st = state.lock().unwrap();
        st.connections += 1;
        st.subscribed.clear();
    }
    let mut mine: BTreeSet<String> = BTreeSet::new();
    loop {
        tokio::select! {
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(text))) => {
                    let Ok(cmd) = serde_json::from_str::<Value>(text.as_str()) else { continue };
                    let (kind, tag) = (cmd["type"].as_str().unwrap_or(""), cmd["tag"].as_str().unwrap_or(""));
                    if cmd["stream"] != "hashtag" { continue }
                    let mut st = state.lock().unwrap();
                    st.log.push(format!("{kind} {tag}"));
                    match kind {
                        "subscribe" => { mine.insert(tag.to_owned()); st.subscribed.insert(tag.to_owned()); }
                        "unsubscribe" => { mine.remove(tag); st.subscribed.remove(tag); }
                        _ => {}
                    }
                }
                Some(Ok(_)) => {}
                _ => return,
            },
            frame = frames.recv() => match frame {
                Ok((tag, text)) if mine.contains(&tag) => {
                    if ws.send(Message::Text(text.into())).await.is_err() { return }
                }
                Ok(_) => {}
                Err(_) => return,
            },
        }
    }
}
