//! Reads the filtered stream's body: one JSON object per `\r\n`-terminated line, blank lines
//! as keep-alives, and silence as death.
//!
//! Any byte (keep-alives included) proves the connection alive; if none arrives within the
//! stall timeout (20 s in production, per docs/sources.md) the reader reports [`StreamEnd::Stalled`]
//! and the loop reconnects. Lines are capped so a broken peer cannot grow memory unbounded.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};

/// Longest line accepted; a tweet object with expansions is a few KiB.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// One unit of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A blank `\r\n`.
    KeepAlive,
    /// A non-blank line (without its terminator).
    Object(Bytes),
}

/// Why the stream stopped yielding lines.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamEnd {
    #[error("the server ended the stream")]
    Closed,
    #[error("no byte for {0:?}: the connection is dead")]
    Stalled(Duration),
    #[error("read error: {0}")]
    Read(String),
    #[error("a line exceeded {MAX_LINE_BYTES} bytes")]
    LineTooLong,
}

/// Splits a byte stream into lines, watching for silence.
pub struct LineReader<S> {
    body: S,
    buf: BytesMut,
    stall: Duration,
}

impl<S, E> LineReader<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    pub fn new(body: S, stall: Duration) -> Self {
        LineReader {
            body,
            buf: BytesMut::new(),
            stall,
        }
    }

    /// The next line, or why there will be none.
    pub async fn next_line(&mut self) -> Result<Line, StreamEnd> {
        loop {
            if let Some(pos) = self.buf.iter().position(|b| *b == b'\n') {
                let mut line = self.buf.split_to(pos + 1).freeze();
                line.truncate(pos);
                if line.last() == Some(&b'\r') {
                    line.truncate(pos - 1);
                }
                if line.iter().all(u8::is_ascii_whitespace) {
                    return Ok(Line::KeepAlive);
                }
                return Ok(Line::Object(line));
            }
            if self.buf.len() > MAX_LINE_BYTES {
                return Err(StreamEnd::LineTooLong);
            }
            match tokio::time::timeout(self.stall, self.body.next()).await {
                Err(_) => return Err(StreamEnd::Stalled(self.stall)),
                Ok(None) => return Err(StreamEnd::Closed),
                Ok(Some(Err(err))) => return Err(StreamEnd::Read(err.to_string())),
                Ok(Some(Ok(chunk))) => self.buf.extend_from_slice(&chunk),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream;

    type Chunk = Result<Bytes, std::io::Error>;

    fn chunks(parts: &[&'static str]) -> Vec<Chunk> {
        parts.iter().map(|p| Ok(Bytes::from_static(p.as_bytes()))).collect()
    }

    #[tokio::test]
    async fn splits_lines_across_chunks_and_sees_keep_alives() {
        let body = stream::iter(chunks(&["\r\n{\"a\":", "1}\r\n\r", "\n{\"b\":2}\r\n"]));
        let mut r = LineReader::new(body, Duration::from_secs(20));
        assert_eq!(r.next_line().await, Ok(Line::KeepAlive));
        assert_eq!(r.next_line().await, Ok(Line::Object(Bytes::from_static(b"{\"a\":1}"))));
        assert_eq!(r.next_line().await, Ok(Line::KeepAlive));
        assert_eq!(r.next_line().await, Ok(Line::Object(Bytes::from_static(b"{\"b\":2}"))));
        assert_eq!(r.next_line().await, Err(StreamEnd::Closed));
    }

    #[tokio::test(start_paused = true)]
    async fn a_25s_stall_is_declared_dead_after_20s() {
        // A keep-alive, then nothing at all: the peer hangs for (at least) 25 s.
        let body = stream::iter(chunks(&["\r\n"])).chain(stream::pending());
        let mut r = LineReader::new(body, Duration::from_secs(20));
        assert_eq!(r.next_line().await, Ok(Line::KeepAlive));
        let started = tokio::time::Instant::now();
        assert_eq!(r.next_line().await, Err(StreamEnd::Stalled(Duration::from_secs(20))));
        assert_eq!(started.elapsed(), Duration::from_secs(20));
    }

    #[tokio::test(start_paused = true)]
    async fn keep_alives_every_20s_keep_it_alive() {
        let body = stream::unfold(0u32, |n| async move {
            if n == 5 {
                return None;
            }
            tokio::time::sleep(Duration::from_secs(19)).await;
            Some((Ok::<_, std::io::Error>(Bytes::from_static(b"\r\n")), n + 1))
        });
        let mut r = LineReader::new(Box::pin(body), Duration::from_secs(20));
        for _ in 0..5 {
            assert_eq!(r.next_line().await, Ok(Line::KeepAlive));
        }
        assert_eq!(r.next_line().await, Err(StreamEnd::Closed));
    }

    #[tokio::test]
    async fn an_endless_line_is_refused() {
        let big = vec![Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; MAX_LINE_BYTES + 1]))];
        let mut r = LineReader::new(stream::iter(big), Duration::from_secs(20));
        assert_eq!(r.next_line().await, Err(StreamEnd::LineTooLong));
    }
}
