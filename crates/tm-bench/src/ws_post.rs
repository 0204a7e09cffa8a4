//! Posts over tm-gateway's WebSocket (S7 `--post-via ws`), as the room page posts: one joined
//! poster socket per room sends `{"type":"post",…}` frames on an open-loop schedule and reads
//! the gateway's answers (docs/PROTOCOL: `accepted` once the broker confirmed the command,
//! `error` for a post refused at once, `rejected` for one refused after it was accepted).
//!
//! The answers go into the same [`Tally`] as HTTP posts, as the HTTP status the CMS's API gives
//! the same outcome: `accepted` counts as 202 (stored later, by tm-cms's post consumer), an
//! `error` as 429 when its code is `slow_down` and 422 otherwise. A `rejected` after `accepted`
//! is counted apart ([`WsPosters::rejected_after_accept`]): its post was answered, and then lost
//! its delivery.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::cms::NICKNAME;
use crate::frame::{encode_frame, Event, FrameReader, OP_PONG, OP_TEXT};
use crate::handshake::{connect, ConnectOpts};
use crate::pool::{Ledger, Outcome, Tally};
use crate::target::Target;

/// One post to send: its room (index into the posters) and when it was due.
#[derive(Debug, Clone)]
pub struct WsJob {
    pub room: usize,
    /// Intended send time, ns since the Unix epoch.
    pub intended_ns: u64,
    /// The message body (UTF-8).
    pub body: Vec<u8>,
}

/// A gateway frame the posters care about; every other frame (the room's own events among
/// them) is read past.
#[derive(Debug, Deserialize)]
struct Answer<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(default)]
    client_id: Option<&'a str>,
    #[serde(default)]
    code: Option<&'a str>,
}

/// Posts waiting for their answer, by client id: (room, sent at, intended ns).
type Pending = HashMap<String, (usize, Instant, u64)>;

/// The poster sockets: see the module docs.
#[derive(Debug)]
pub struct WsPosters {
    senders: Vec<mpsc::UnboundedSender<WsJob>>,
    ledger: Ledger,
    rejected_after_accept: Arc<AtomicU64>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl WsPosters {
    /// Opens and joins one poster socket per room of `rooms` (slugs the target has join tokens
    /// for).
    pub async fn open(target: &Target, rooms: &[String], timeout: Duration) -> anyhow::Result<Self> {
        let ledger = Ledger::new(rooms.len())?;
        let rejected_after_accept = Arc::new(AtomicU64::new(0));
        let mut senders = Vec::with_capacity(rooms.len());
        let mut tasks = Vec::with_capacity(rooms.len());
        for (index, room) in rooms.iter().enumerate() {
            let opts = ConnectOpts {
                src: None,
                recv_buf: None,
                timeout,
            };
            let join = target
                .join_message(room)?
                .context("posting over the WebSocket needs a gateway target (a join token per room)")?;
            let (mut stream, leftover) = connect(&target.endpoint, &target.subscribe_path(room), &opts)
                .await
                .with_context(|| format!("poster socket for room {room}"))?;
            let mut frame = Vec::new();
            encode_frame(&mut frame, OP_TEXT, &join, Some(rand::random()));
            stream.write_all(&frame).await?;
            let (tx, rx) = mpsc::unbounded_channel();
            senders.push(tx);
            let poster = Poster {
                room: index,
                tally: ledger.tally().clone(),
                rejected_after_accept: rejected_after_accept.clone(),
                pending: Pending::new(),
            };
            tasks.push(tokio::spawn(poster.run(stream, leftover, rx)));
        }
        Ok(Self {
            senders,
            ledger,
            rejected_after_accept,
            tasks,
        })
    }

    /// Hands `job` to its room's poster; never waits.
    pub fn dispatch(&self, job: WsJob) -> anyhow::Result<()> {
        let tx = self
            .senders
            .get(job.room)
            .with_context(|| format!("no poster for room index {}", job.room))?;
        tx.send(job)
            .map_err(|_| anyhow::anyhow!("a poster socket has stopped"))?;
        self.ledger.dispatched();
        Ok(())
    }

    /// Waits until every post handed over was answered, at most `timeout`; returns how many
    /// are still unanswered.
    pub async fn drain(&self, timeout: Duration) -> u64 {
        self.ledger.drain(timeout).await
    }

    /// The tally so far, replaced by an empty one (call after [`WsPosters::drain`]).
    pub fn take(&self) -> anyhow::Result<Tally> {
        self.ledger.take()
    }

    /// Posts refused after they were accepted, so far (and resets the count).
    pub fn take_rejected_after_accept(&self) -> u64 {
        self.rejected_after_accept.swap(0, Ordering::Relaxed)
    }
}

impl Drop for WsPosters {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

struct Poster {
    room: usize,
    tally: Arc<Mutex<Tally>>,
    rejected_after_accept: Arc<AtomicU64>,
    pending: Pending,
}

impl Poster {
    async fn run(mut self, mut stream: TcpStream, leftover: Vec<u8>, mut jobs: mpsc::UnboundedReceiver<WsJob>) {
        let mut reader = FrameReader::new(true, 1 << 20);
        let mut out = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        let (mut rd, mut wr) = stream.split();
        if self.read(&mut reader, &leftover, &mut out).is_err() {
            return self.fail_pending("the gateway sent a bad frame");
        }
        loop {
            tokio::select! {
                job = jobs.recv() => {
                    let Some(job) = job else { return };
                    self.frame_post(&job, &mut out);
                }
                r = rd.read(&mut buf) => match r {
                    Ok(0) | Err(_) => return self.fail_pending("the gateway closed the poster socket"),
                    Ok(n) => {
                        if self.read(&mut reader, &buf[..n], &mut out).is_err() {
                            return self.fail_pending("the gateway sent a bad frame");
                        }
                    }
                },
            }
            if !out.is_empty() {
                if wr.write_all(&out).await.is_err() {
                    return self.fail_pending("writing to the poster socket failed");
                }
                out.clear();
            }
        }
    }

    fn frame_post(&mut self, job: &WsJob, out: &mut Vec<u8>) {
        let client_id = uuid_v4();
        let frame = serde_json::json!({
            "type": "post",
            "nickname": NICKNAME,
            "body": String::from_utf8_lossy(&job.body),
            "client_id": client_id,
        });
        let Ok(text) = serde_json::to_vec(&frame) else { return };
        encode_frame(out, OP_TEXT, &text, Some(rand::random()));
        self.pending
            .insert(client_id, (job.room, Instant::now(), job.intended_ns));
    }

    /// Feeds `bytes` to the frame reader and records the answers in them.
    fn read(&mut self, reader: &mut FrameReader, bytes: &[u8], out: &mut Vec<u8>) -> Result<(), ()> {
        let mut answers = Vec::new();
        reader
            .feed(bytes, &mut |ev| match ev {
                Event::Message { payload, .. } => {
                    if let Some(answer) = answer_of(payload) {
                        answers.push(answer);
                    }
                }
                Event::Ping(p) => encode_frame(out, OP_PONG, p, Some(rand::random())),
                Event::Pong | Event::Close(_) => {}
            })
            .map_err(|_| ())?;
        for (client_id, outcome) in answers {
            self.record(&client_id, outcome);
        }
        Ok(())
    }

    fn record(&mut self, client_id: &str, outcome: AnswerOutcome) {
        let status = match outcome {
            AnswerOutcome::Accepted => 202,
            AnswerOutcome::Refused { slow_down: true } => 429,
            AnswerOutcome::Refused { slow_down: false } => 422,
            AnswerOutcome::RejectedLater => {
                self.rejected_after_accept.fetch_add(1, Ordering::Relaxed);
                return;
            }
        };
        let Some((room, sent, intended_ns)) = self.pending.remove(client_id) else {
            return;
        };
        let answer_ns = u64::try_from(sent.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let sched_ns = crate::wall_ns().saturating_sub(intended_ns);
        if let Ok(mut t) = self.tally.lock() {
            t.record(room, &Outcome::Status(status), answer_ns, Some(sched_ns));
        }
    }

    fn fail_pending(&mut self, why: &str) {
        tracing::warn!(room = self.room, unanswered = self.pending.len(), "{why}");
        if let Ok(mut t) = self.tally.lock() {
            for (_, (room, sent, _)) in self.pending.drain() {
                let took = u64::try_from(sent.elapsed().as_nanos()).unwrap_or(u64::MAX);
                t.record(room, &Outcome::Failed(why.to_string()), took, None);
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AnswerOutcome {
    Accepted,
    Refused { slow_down: bool },
    RejectedLater,
}

/// The answer to one of our posts in a frame, if the frame is one.
fn answer_of(payload: &[u8]) -> Option<(String, AnswerOutcome)> {
    // Room events are most frames and never answers: skip them without parsing.
    if payload.starts_with(br#"{"type":"event""#) {
        return None;
    }
    let answer: Answer<'_> = serde_json::from_slice(payload).ok()?;
    let outcome = match answer.kind {
        "accepted" => AnswerOutcome::Accepted,
        "error" => AnswerOutcome::Refused {
            slow_down: answer.code == Some("slow_down"),
        },
        "rejected" => AnswerOutcome::RejectedLater,
        _ => return None,
    };
    Some((answer.client_id?.to_string(), outcome))
}

/// A random (version 4) UUID in its text form, as the protocol's `client_id` asks.
fn uuid_v4() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_told_apart_and_events_skipped() {
        let id = "0191e7a4-5d2c-4a8e-9b1f-2c3d4e5f6a7b";
        assert_eq!(
            answer_of(format!(r#"{{"type":"accepted","client_id":"{id}"}}"#).as_bytes()),
            Some((id.to_string(), AnswerOutcome::Accepted))
        );
        assert_eq!(
            answer_of(
                format!(r#"{{"type":"error","code":"slow_down","message":"wait","client_id":"{id}"}}"#).as_bytes()
            ),
            Some((id.to_string(), AnswerOutcome::Refused { slow_down: true }))
        );
        assert_eq!(
            answer_of(format!(r#"{{"type":"error","code":"body_too_long","client_id":"{id}"}}"#).as_bytes()),
            Some((id.to_string(), AnswerOutcome::Refused { slow_down: false }))
        );
        assert_eq!(
            answer_of(format!(r#"{{"type":"rejected","client_id":"{id}","code":"muted"}}"#).as_bytes()),
            Some((id.to_string(), AnswerOutcome::RejectedLater))
        );
        // An event that quotes an answer in its body is still an event.
        let event = format!(
            r#"{{"type":"event","seq":3,"data":{{"body":"{{\"type\":\"accepted\",\"client_id\":\"{id}\"}}"}}}}"#
        );
        assert_eq!(answer_of(event.as_bytes()), None);
        assert_eq!(answer_of(br#"{"type":"presence","count":3}"#), None);
        assert_eq!(
            answer_of(br#"{"type":"error","code":"not_joined"}"#),
            None,
            "not one of ours"
        );
        assert_eq!(answer_of(b"not json"), None);
    }

    #[test]
    fn client_ids_are_version_4_uuids() {
        let a = uuid_v4();
        assert_eq!(a.len(), 36);
        let groups: Vec<&str> = a.split('-').collect();
        assert_eq!(groups.iter().map(|g| g.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12]);
        assert!(groups[2].starts_with('4'), "{a}");
        assert!(matches!(groups[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'), "{a}");
        assert_ne!(a, uuid_v4());
    }
}
