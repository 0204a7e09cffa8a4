//! A server-sent events client reading `GET /sse` as a browser's `EventSource` would.

use serde_json::Value;
use tm_core::event::Seq;
pub use tm_testkit::sse::SseItem as Item;
use tm_testkit::sse::SseParser;

use super::{Gateway, PATIENCE};

pub struct SseClient {
    response: reqwest::Response,
    parser: SseParser,
    /// Items parsed but not read yet.
    parsed: std::collections::VecDeque<Item>,
}

/// The URL of `/sse` for `token`, from `since` when given.
pub fn sse_url(gateway: &Gateway, token: &str, since: Option<Seq>) -> String {
    let mut url = gateway.http_url(&format!("/sse?token={token}"));
    if let Some(since) = since {
        url.push_str(&format!("&since={since}"));
    }
    url
}

impl SseClient {
    /// Opens a stream from `since`, resuming from `last_event_id` when given (as an
    /// `EventSource` reconnecting would); panics unless the gateway answers 200.
    pub async fn open(gateway: &Gateway, token: &str, since: Option<Seq>, last_event_id: Option<Seq>) -> SseClient {
        let mut request = reqwest::Client::new().get(sse_url(gateway, token, since));
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id.to_string());
        }
        let response = tokio::time::timeout(PATIENCE, request.send())
            .await
            .expect("an answer in time")
            .unwrap();
        assert_eq!(response.status(), 200, "the stream opens");
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        SseClient {
            response,
            parser: SseParser::default(),
            parsed: Default::default(),
        }
    }

    /// The next item, or `None` once the gateway ended the stream. Panics after [`PATIENCE`].
    pub async fn next_item(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.parsed.pop_front() {
                return Some(item);
            }
            let chunk = tokio::time::timeout(PATIENCE, self.response.chunk())
                .await
                .expect("something on the stream in time")
                .ok()??;
            self.parsed.extend(self.parser.push(&chunk));
        }
    }

    /// The next event (comments and hints skipped); panics if the stream ends.
    pub async fn next_event(&mut self) -> (Option<Seq>, String, Value) {
        loop {
            match self.next_item().await.expect("the stream to stay open") {
                Item::Event { id, name, data } => return (id, name, data),
                Item::Comment(_) | Item::Retry(_) => continue,
            }
        }
    }

    /// The next event other than `presence` (which may come at any time).
    pub async fn next_non_presence(&mut self) -> (Option<Seq>, String, Value) {
        loop {
            let event = self.next_event().await;
            if event.1 != "presence" {
                return event;
            }
        }
    }

    /// The seqs of the next `n` room events, checking each one's `id:` is its seq; panics on
    /// any other event but `joined` and `presence`.
    pub async fn event_seqs(&mut self, n: usize) -> Vec<Seq> {
        let mut seqs = Vec::new();
        while seqs.len() < n {
            let (id, name, data) = self.next_non_presence().await;
            if name == "joined" {
                continue;
            }
            assert_eq!(data["type"], "event", "expected a room event, got {name}: {data}");
            let seq = data["seq"].as_u64().unwrap();
            assert_eq!(id, Some(seq), "a room event's id is its seq");
            assert_eq!(data["event"], name.as_str(), "the SSE event name is the room event's");
            seqs.push(seq);
        }
        seqs
    }

    /// Reads until the gateway ends the stream; panics if it stays open past [`PATIENCE`].
    pub async fn until_ended(&mut self) -> Vec<Item> {
        let mut rest = Vec::new();
        while let Some(item) = self.next_item().await {
            rest.push(item);
        }
        rest
    }
}
