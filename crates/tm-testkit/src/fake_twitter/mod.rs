//! A local fake of the X API v2 filtered stream, speaking docs/sources.md byte for byte: bearer
//! auth, the rules endpoints with their real response shapes and errors (`DuplicateRule`,
//! invalid rules, `dry_run`), and the stream as a chunked body of `\r\n`-terminated JSON
//! lines with blank keep-alives. Each stream connection attempt takes the next scripted
//! [`Answer`] (429/503 statuses, a dropped TCP connection, a silent stall, a live stream).

// A test double: when it cannot do its job it panics, which fails the test that uses it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

mod http;
mod rules;

use bytes::Bytes;
use http_body_util::{BodyExt as _, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderValue, AUTHORIZATION, CONNECTION};
use hyper::{Method, Response};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use self::http::{problem, read_request, respond_json, serve, with_json_type, Body};
use self::rules::rules_endpoint;

pub const TOKEN: &str = "test-bearer-token";

/// How the fake answers one stream connection attempt.
#[derive(Debug, Clone)]
pub enum Answer {
    /// An HTTP error with a problem body (429, 503, 401…).
    Status(u16),
    /// Read the request, then close the socket without a byte: a TCP-level failure.
    Drop,
    /// 200 and headers, then silence (no keep-alives) until the client goes away.
    Stall,
    /// Read the request and never answer, not even headers.
    Silent,
    /// 200 and a live stream: keep-alives, pushed lines, until ended.
    Live,
}

/// A rule as the fake keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: String,
    pub value: String,
    pub tag: String,
}

#[derive(Debug, Clone)]
enum Push {
    Line(String),
    /// Send this line, then end the chunked body properly.
    EndAfter(Option<String>),
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    next_id: u64,
    rejected_markers: Vec<String>,
    script: VecDeque<Answer>,
    stream_attempts: usize,
    live_streams: usize,
    stream_queries: Vec<String>,
    rule_requests: usize,
}

struct Shared {
    state: Mutex<State>,
    push: broadcast::Sender<Push>,
    keep_alive: Duration,
}

/// The running fake. Dropping it stops accepting.
pub struct FakeTwitter {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Drop for FakeTwitter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeTwitter {
    /// Starts on a free loopback port; keep-alives every `keep_alive` (20 s on the real API).
    pub async fn start(keep_alive: Duration) -> FakeTwitter {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (push, _) = broadcast::channel(256);
        let shared = Arc::new(Shared {
            state: Mutex::default(),
            push,
            keep_alive,
        });
        let s = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(serve(conn, move |req| answer(req, s.clone())));
            }
        });
        FakeTwitter { addr, shared, task }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().unwrap()
    }

    /// Scripts the next stream connection attempts (afterwards: `Live`).
    pub fn script(&self, answers: impl IntoIterator<Item = Answer>) {
        self.state().script.extend(answers);
    }

    /// Rules whose value contains `marker` are refused as invalid.
    pub fn reject_rules_containing(&self, marker: &str) {
        self.state().rejected_markers.push(marker.to_owned());
    }

    /// Puts a rule in place as if created earlier (e.g. by a previous run).
    pub fn preload_rule(&self, value: &str, tag: &str) {
        let mut st = self.state();
        st.next_id += 1;
        let id = format!("{}", 1_000 + st.next_id);
        st.rules.push(Rule {
            id,
            value: value.into(),
            tag: tag.into(),
        });
    }

    pub fn rules(&self) -> Vec<(String, String)> {
        let mut r: Vec<_> = self
            .state()
            .rules
            .iter()
            .map(|r| (r.tag.clone(), r.value.clone()))
            .collect();
        r.sort();
        r
    }

    pub fn stream_attempts(&self) -> usize {
        self.state().stream_attempts
    }

    pub fn live_streams(&self) -> usize {
        self.state().live_streams
    }

    pub fn stream_queries(&self) -> Vec<String> {
        self.state().stream_queries.clone()
    }

    pub fn rule_requests(&self) -> usize {
        self.state().rule_requests
    }

    /// Sends a tweet to open streams, with `matching_rules` computed from the rules in force
    /// (a rule matches when its value contains `#tag`), as Twitter would.
    pub fn tweet(&self, id: &str, username: &str, text: &str, hashtags: &[&str]) {
        let matching: Vec<Value> = self
            .state()
            .rules
            .iter()
            .filter(|r| hashtags.iter().any(|h| contains_hashtag(&r.value, h)))
            .map(|r| json!({"id": r.id, "tag": r.tag}))
            .collect();
        let line = json!({
            "data": {"id": id, "text": text, "author_id": format!("u{username}"),
                     "created_at": "2026-11-23T03:00:00.000Z", "edit_history_tweet_ids": [id]},
            "includes": {"users": [{"id": format!("u{username}"), "username": username, "name": username}]},
            "matching_rules": matching,
        });
        self.push_line(&line.to_string());
    }

    /// Sends a raw line to open streams.
    pub fn push_line(&self, line: &str) {
        let _ = self.shared.push.send(Push::Line(line.to_owned()));
    }

    /// Sends an in-stream operational-disconnect and closes the stream, as X does.
    pub fn operational_disconnect(&self) {
        let line = json!({"errors": [{"title": "operational-disconnect",
            "disconnect_type": "UpstreamOperationalDisconnect",
            "detail": "This stream has been disconnected upstream for operational reasons.",
            "type": "https://api.twitter.com/2/problems/operational-disconnect"}]});
        let _ = self.shared.push.send(Push::EndAfter(Some(line.to_string())));
    }

    /// Ends open streams cleanly (terminating chunk).
    pub fn end_streams(&self) {
        let _ = self.shared.push.send(Push::EndAfter(None));
    }
}

fn contains_hashtag(value: &str, tag: &str) -> bool {
    let needle = format!("#{}", tag.to_lowercase());
    let value = value.to_lowercase();
    value
        .match_indices(&needle)
        .any(|(i, _)| !value[i + needle.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_'))
}

async fn answer(req: hyper::Request<Incoming>, shared: Arc<Shared>) -> std::io::Result<Response<Body>> {
    let authorized =
        req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()) == Some(format!("Bearer {TOKEN}").as_str());
    if !authorized {
        return Ok(respond_json(401, &problem(401)));
    }
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/2/tweets/search/stream") => {
            let target = req.uri().path_and_query().map(ToString::to_string).unwrap_or_default();
            stream(&shared, &target).await
        }
        (_, "/2/tweets/search/stream/rules") => {
            let Some(req) = read_request(req).await else {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            };
            let (status, body) = rules_endpoint(&shared, &req);
            Ok(respond_json(status, &body))
        }
        _ => Ok(respond_json(
            404,
            &json!({"title": "Not Found Error", "type": "about:blank"}),
        )),
    }
}

/// A 200 whose body is `lines`, chunked; the connection closes after it, as X's does.
fn streaming(
    lines: impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + Sync + 'static,
) -> Response<Body> {
    let body = StreamBody::new(futures_util::StreamExt::map(lines, |line| line.map(Frame::data)));
    let mut response = with_json_type(200, body.boxed());
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

async fn stream(shared: &Arc<Shared>, target: &str) -> std::io::Result<Response<Body>> {
    let answer = {
        let mut st = shared.state.lock().unwrap();
        st.stream_attempts += 1;
        st.stream_queries.push(target.to_owned());
        st.script.pop_front().unwrap_or(Answer::Live)
    };
    match answer {
        Answer::Status(code) => Ok(respond_json(code, &problem(code))),
        Answer::Drop => Err(std::io::ErrorKind::ConnectionAborted.into()),
        // Never answer; hyper drops this when the client hangs up.
        Answer::Silent => std::future::pending().await,
        // Headers, then nothing until the client hangs up.
        Answer::Stall => Ok(streaming(futures_util::stream::pending())),
        Answer::Live => {
            shared.state.lock().unwrap().live_streams += 1;
            let live = Live {
                rx: shared.push.subscribe(),
                tick: tokio::time::interval(shared.keep_alive),
                ended: false,
                shared: shared.clone(),
            };
            Ok(streaming(futures_util::stream::unfold(live, Live::next_line)))
        }
    }
}

/// One live stream: keep-alives and pushed lines. Counted in `live_streams` until hyper drops
/// it (the stream ended or the client went away).
struct Live {
    rx: broadcast::Receiver<Push>,
    tick: tokio::time::Interval,
    ended: bool,
    shared: Arc<Shared>,
}

impl Drop for Live {
    fn drop(&mut self) {
        self.shared.state.lock().unwrap().live_streams -= 1;
    }
}

impl Live {
    async fn next_line(mut self) -> Option<(std::io::Result<Bytes>, Self)> {
        if self.ended {
            return None;
        }
        let line = tokio::select! {
            _ = self.tick.tick() => String::new(),
            push = self.rx.recv() => match push {
                Ok(Push::Line(l)) => l,
                Ok(Push::EndAfter(Some(l))) => {
                    self.ended = true;
                    l
                }
                Ok(Push::EndAfter(None)) => return None,
                // Fell behind the pushes: cut the connection rather than skip lines.
                Err(_) => return Some((Err(std::io::ErrorKind::ConnectionAborted.into()), self)),
            },
        };
        Some((Ok(Bytes::from(format!("{line}\r\n"))), self))
    }
}
