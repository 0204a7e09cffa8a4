//! Reading a server-sent events stream (`text/event-stream`) as a browser's `EventSource`
//! does: lines split into fields, a blank line ends an event, `:` lines are comments. Tests
//! keep the comments and `retry:` hints so they can look at them.

// Test code: a stream no conforming server sends is a failed test, so it panics.
#![allow(clippy::expect_used)]

use serde_json::Value;

/// One thing read from the stream.
#[derive(Debug, Clone, PartialEq)]
pub enum SseItem {
    /// An event: its `id:` (if any), `event:` name (`message` when absent) and `data:` as JSON.
    Event { id: Option<u64>, name: String, data: Value },
    /// A `:` comment line (a heartbeat).
    Comment(String),
    /// A `retry:` hint, in milliseconds.
    Retry(u64),
}

/// Turns chunks of a stream, however they are cut, into [`SseItem`]s.
#[derive(Debug, Default)]
pub struct SseParser {
    buffer: String,
}

impl SseParser {
    /// Adds a chunk; returns the items it completed. Panics on what no conforming server
    /// sends here (invalid UTF-8, an unknown field, data that is not JSON).
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseItem> {
        self.buffer
            .push_str(std::str::from_utf8(chunk).expect("an event stream is UTF-8"));
        let mut items = Vec::new();
        while let Some(end) = self.buffer.find("\n\n") {
            let block: String = self.buffer.drain(..end + 2).collect();
            items.extend(parse_block(&block));
        }
        items
    }
}

/// The items of one block (the text up to a blank line).
fn parse_block(block: &str) -> Vec<SseItem> {
    let mut items = Vec::new();
    let (mut id, mut name, mut data) = (None, None, Vec::new());
    for line in block.lines() {
        if let Some(comment) = line.strip_prefix(':') {
            items.push(SseItem::Comment(comment.trim().to_owned()));
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "id" => id = Some(value.parse().expect("ids here are seqs")),
            "event" => name = Some(value.to_owned()),
            "data" => data.push(value.to_owned()),
            "retry" => items.push(SseItem::Retry(value.parse().expect("retry is milliseconds"))),
            "" => {}
            other => panic!("unknown SSE field {other:?}"),
        }
    }
    if !data.is_empty() {
        items.push(SseItem::Event {
            id,
            name: name.unwrap_or_else(|| "message".to_owned()),
            data: serde_json::from_str(&data.join("\n")).expect("data is JSON"),
        });
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_comments_and_hints_however_the_chunks_are_cut() {
        let stream = b"retry: 3000\n\nid: 4\nevent: message.created\ndata: {\"seq\":4}\n\n: heartbeat\n\nevent: reset\ndata: {}\n\n";
        let mut parser = SseParser::default();
        let items: Vec<SseItem> = stream.chunks(5).flat_map(|chunk| parser.push(chunk)).collect();
        assert_eq!(
            items,
            [
                SseItem::Retry(3000),
                SseItem::Event {
                    id: Some(4),
                    name: "message.created".into(),
                    data: serde_json::json!({"seq": 4})
                },
                SseItem::Comment("heartbeat".into()),
                SseItem::Event {
                    id: None,
                    name: "reset".into(),
                    data: serde_json::json!({})
                },
            ]
        );
    }
}
