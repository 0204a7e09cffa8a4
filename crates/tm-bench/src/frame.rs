//! WebSocket frames (RFC 6455 §5.2) read cheaply: an incremental [`FrameReader`] that walks frame
//! headers (tungstenite's [`FrameHeader`] codec) in whatever chunks the socket hands over,
//! skipping payloads without copying them (for sinks) or collecting them (for probes), and a tiny
//! [`encode_frame`] for the client frames we send (publish, pong, close — masked, as a client
//! must). tungstenite's own reader is not used because it buffers every payload: skipping them is
//! what lets the client outrun the server.

use std::io::Cursor;

use tokio_tungstenite::tungstenite::error::{Error as WsError, ProtocolError};
pub use tokio_tungstenite::tungstenite::protocol::frame::coding::{Control, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::FrameHeader;

// The opcodes by name (RFC 6455 §11.8), for `match` and for encoding.
pub const OP_CONT: OpCode = OpCode::Data(Data::Continue);
pub const OP_TEXT: OpCode = OpCode::Data(Data::Text);
pub const OP_BINARY: OpCode = OpCode::Data(Data::Binary);
pub const OP_CLOSE: OpCode = OpCode::Control(Control::Close);
pub const OP_PING: OpCode = OpCode::Control(Control::Ping);
pub const OP_PONG: OpCode = OpCode::Control(Control::Pong);

/// The longest frame header: 2 bytes, 8 bytes of extended length, 4 bytes of mask.
pub const MAX_HEADER: usize = 14;

/// Why a byte stream is not a WebSocket frame stream we accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Reserved bits set (no extension is negotiated), an unknown opcode, or a control frame
    /// that is fragmented or longer than 125 bytes.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// A 64-bit length with its most significant bit set.
    #[error("64-bit payload length with the top bit set")]
    Length,
    /// A collected message larger than the reader's limit.
    #[error("message larger than the {0}-byte limit")]
    TooLarge(usize),
}

/// Parses one frame header at the start of `buf` with tungstenite and applies the checks it
/// leaves to the connection (no extensions, RFC 6455 control-frame and length rules). `Ok(None)`
/// means more bytes are needed; otherwise returns the header, the payload length and how many
/// bytes the header took.
pub fn parse_header(buf: &[u8]) -> Result<Option<(FrameHeader, u64, usize)>, FrameError> {
    let mut cursor = Cursor::new(buf);
    let (header, len) = match FrameHeader::parse(&mut cursor) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => return Ok(None),
        Err(WsError::Protocol(e)) => return Err(e.into()),
        // Reading from a slice fails in no other way.
        Err(_) => return Err(ProtocolError::InvalidOpcode(buf[0] & 0x0f).into()),
    };
    if header.rsv1 || header.rsv2 || header.rsv3 {
        return Err(ProtocolError::NonZeroReservedBits.into());
    }
    if len >> 63 != 0 {
        return Err(FrameError::Length);
    }
    if matches!(header.opcode, OpCode::Control(_)) && !header.is_final {
        return Err(ProtocolError::FragmentedControlFrame.into());
    }
    if matches!(header.opcode, OpCode::Control(_)) && len > 125 {
        return Err(ProtocolError::ControlFrameTooBig.into());
    }
    // The cursor stops within the 14-byte header.
    let used = usize::try_from(cursor.position()).unwrap_or(MAX_HEADER);
    Ok(Some((header, len, used)))
}

/// What a [`FrameReader`] saw complete.
#[derive(Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// A whole data message (all its fragments). `payload` is empty unless the reader collects
    /// or keeps a head ([`FrameReader::with_head`]).
    Message {
        /// Opcode of the first fragment (text or binary).
        opcode: OpCode,
        /// Total payload length over all fragments.
        len: u64,
        /// The unmasked payload when collecting, else its first `head` bytes (none by default).
        payload: &'a [u8],
    },
    /// A ping with its payload (to echo in a pong).
    Ping(&'a [u8]),
    /// A pong.
    Pong,
    /// A close frame, with its status code if it had one.
    Close(Option<u16>),
}

/// Incremental frame reader: feed it bytes as they arrive, it calls back per complete message.
///
/// Sinks build it with `collect = false`: data payloads are skipped by arithmetic alone, so the
/// cost per frame is a header parse. Control-frame payloads (≤ 125 bytes) are always collected.
#[derive(Debug)]
pub struct FrameReader {
    collect: bool,
    max_message: usize,
    head: usize,
    hdr: [u8; MAX_HEADER],
    hdr_len: usize,
    cur: Option<FrameHeader>,
    remaining: u64,
    offset: u64,
    msg_opcode: OpCode,
    msg_len: u64,
    payload: Vec<u8>,
    ctrl: Vec<u8>,
}

impl FrameReader {
    /// A reader; `collect` keeps data payloads (up to `max_message` bytes per message).
    pub fn new(collect: bool, max_message: usize) -> Self {
        Self {
            collect,
            max_message,
            head: 0,
            hdr: [0; MAX_HEADER],
            hdr_len: 0,
            cur: None,
            remaining: 0,
            offset: 0,
            msg_opcode: OP_TEXT,
            msg_len: 0,
            payload: Vec::new(),
            ctrl: Vec::new(),
        }
    }

    /// Also keeps the first `n` payload bytes of each data message when not collecting, so a
    /// sink can tell kinds of messages apart by how they begin for the price of a short copy.
    pub fn with_head(mut self, n: usize) -> Self {
        self.head = n;
        self
    }

    fn start(&mut self, h: FrameHeader, len: u64) {
        if matches!(h.opcode, OpCode::Control(_)) {
            self.ctrl.clear();
        } else if h.opcode != OP_CONT {
            self.msg_opcode = h.opcode;
            self.msg_len = 0;
            self.payload.clear();
        }
        self.cur = Some(h);
        self.remaining = len;
        self.offset = 0;
    }

    /// Feeds the next bytes from the socket; `on` is called for every completed event.
    pub fn feed(&mut self, mut input: &[u8], on: &mut impl FnMut(Event<'_>)) -> Result<(), FrameError> {
        loop {
            let Some(FrameHeader {
                is_final, opcode, mask, ..
            }) = self.cur.clone()
            else {
                if input.is_empty() {
                    return Ok(());
                }
                // The header goes through a 14-byte buffer, so that one cut by the end of a read
                // is completed from the next.
                let kept = self.hdr_len;
                let take = (MAX_HEADER - kept).min(input.len());
                self.hdr[kept..kept + take].copy_from_slice(&input[..take]);
                let Some((h, len, n)) = parse_header(&self.hdr[..kept + take])? else {
                    self.hdr_len = kept + take;
                    return Ok(());
                };
                input = &input[n - kept..];
                self.hdr_len = 0;
                self.start(h, len);
                continue;
            };
            if self.remaining > 0 {
                if input.is_empty() {
                    return Ok(());
                }
                let n = usize::try_from(self.remaining).unwrap_or(usize::MAX).min(input.len());
                let chunk = &input[..n];
                if matches!(opcode, OpCode::Control(_)) {
                    append_unmasked(&mut self.ctrl, chunk, mask, self.offset);
                } else {
                    self.msg_len += n as u64;
                    if self.collect && self.payload.len() + n > self.max_message {
                        return Err(FrameError::TooLarge(self.max_message));
                    }
                    let keep = if self.collect {
                        n
                    } else {
                        self.head.saturating_sub(self.payload.len()).min(n)
                    };
                    append_unmasked(&mut self.payload, &chunk[..keep], mask, self.offset);
                }
                self.remaining -= n as u64;
                self.offset += n as u64;
                input = &input[n..];
            }
            if self.remaining == 0 {
                self.cur = None;
                match opcode {
                    OP_PING => on(Event::Ping(&self.ctrl)),
                    OP_PONG => on(Event::Pong),
                    OP_CLOSE => {
                        let code = self.ctrl.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]]));
                        on(Event::Close(code));
                    }
                    _ if is_final => on(Event::Message {
                        opcode: self.msg_opcode,
                        len: self.msg_len,
                        payload: &self.payload,
                    }),
                    _ => {}
                }
            }
        }
    }
}

fn append_unmasked(out: &mut Vec<u8>, chunk: &[u8], mask: Option<[u8; 4]>, offset: u64) {
    match mask {
        None => out.extend_from_slice(chunk),
        Some(m) => {
            let start = (offset % 4) as usize;
            out.extend(chunk.iter().enumerate().map(|(i, b)| b ^ m[(start + i) % 4]));
        }
    }
}

/// Appends one final frame with `opcode` and `payload` to `out`, masked with `mask` if given.
pub fn encode_frame(out: &mut Vec<u8>, opcode: OpCode, payload: &[u8], mask: Option<[u8; 4]>) {
    let header = FrameHeader {
        opcode,
        mask,
        ..FrameHeader::default()
    };
    // Writing into a Vec cannot fail.
    let _ = header.format(payload.len() as u64, out);
    append_unmasked(out, payload, mask, 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(opcode: OpCode, fin: bool, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
        let mut v = Vec::new();
        encode_frame(&mut v, opcode, payload, mask);
        if !fin {
            v[0] &= 0x7f;
        }
        v
    }

    #[test]
    fn header_length_forms() {
        for (len, hlen, b1) in [
            (0usize, 2usize, 0u8),
            (125, 2, 125),
            (126, 4, 126),
            (65_535, 4, 126),
            (65_536, 10, 127),
            (200_000, 10, 127),
        ] {
            let payload = vec![b'x'; len];
            // Masked: 4 more header bytes.
            for (opcode, mask, extra) in [(OP_TEXT, None, 0), (OP_BINARY, Some([1, 2, 3, 4]), 4)] {
                let bytes = frame(opcode, true, &payload, mask);
                assert_eq!(bytes[1] & 0x7f, b1, "len {len}");
                let (h, hl, n) = parse_header(&bytes).unwrap().unwrap();
                let expected = (hlen + extra, len as u64, true, opcode, mask);
                assert_eq!((n, hl, h.is_final, h.opcode, h.mask), expected, "len {len}");
                // Every strict prefix of the header is "need more".
                for cut in 0..n {
                    assert_eq!(parse_header(&bytes[..cut]).unwrap(), None, "len {len} cut {cut}");
                }
            }
        }
    }

    #[test]
    fn header_64bit_exact_and_errors() {
        let mut b = vec![0x82, 127];
        b.extend_from_slice(&(1u64 << 40).to_be_bytes());
        assert_eq!(parse_header(&b).unwrap().unwrap().1, 1 << 40);
        let mut bad = vec![0x82, 127];
        bad.extend_from_slice(&(1u64 << 63).to_be_bytes());
        assert_eq!(parse_header(&bad), Err(FrameError::Length));
        let refused = |b: &[u8]| match parse_header(b) {
            Err(FrameError::Protocol(e)) => e,
            other => panic!("{b:?}: {other:?}"),
        };
        assert_eq!(refused(&[0xC1, 0]), ProtocolError::NonZeroReservedBits);
        assert_eq!(refused(&[0x83, 0]), ProtocolError::InvalidOpcode(3));
        assert_eq!(refused(&[0x89, 126, 0, 126]), ProtocolError::ControlFrameTooBig);
        assert_eq!(refused(&[0x09, 0]), ProtocolError::FragmentedControlFrame);
        // Fragmented data frame is fine.
        assert!(!parse_header(&[0x01, 0]).unwrap().unwrap().0.is_final);
    }

    type Seen = Vec<(String, u64, Vec<u8>)>;

    fn events<'a>(mut reader: FrameReader, chunks: impl IntoIterator<Item = &'a [u8]>) -> Seen {
        let mut out = Vec::new();
        for c in chunks {
            let mut on = |e: Event<'_>| {
                out.push(match e {
                    Event::Message { opcode, len, payload } => {
                        (format!("msg{}", u8::from(opcode)), len, payload.to_vec())
                    }
                    Event::Ping(p) => ("ping".into(), p.len() as u64, p.to_vec()),
                    Event::Pong => ("pong".into(), 0, vec![]),
                    Event::Close(c) => ("close".into(), u64::from(c.unwrap_or(0)), vec![]),
                });
            };
            reader.feed(c, &mut on).unwrap();
        }
        out
    }

    fn stream() -> (Vec<u8>, Seen) {
        let big: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
        let mid: Vec<u8> = (0..300u32).map(|i| (i % 7) as u8 + b'a').collect();
        let mut s = Vec::new();
        s.extend(frame(OP_TEXT, true, b"hello", None));
        s.extend(frame(OP_TEXT, true, b"", None));
        s.extend(frame(OP_BINARY, true, &mid, Some([9, 8, 7, 6])));
        s.extend(frame(OP_PING, true, b"pp", None));
        s.extend(frame(OP_TEXT, false, b"frag-", None));
        s.extend(frame(OP_PONG, true, b"", None));
        s.extend(frame(OP_CONT, false, b"men", Some([1, 1, 1, 1])));
        s.extend(frame(OP_CONT, true, b"ted", None));
        s.extend(frame(OP_BINARY, true, &big, None));
        s.extend(frame(OP_CLOSE, true, &1000u16.to_be_bytes(), None));
        let expect = vec![
            ("msg1".into(), 5, b"hello".to_vec()),
            ("msg1".into(), 0, vec![]),
            ("msg2".into(), 300, mid),
            ("ping".into(), 2, b"pp".to_vec()),
            ("pong".into(), 0, vec![]),
            ("msg1".into(), 11, b"frag-mented".to_vec()),
            ("msg2".into(), 70_000, big),
            ("close".into(), 1000, vec![]),
        ];
        (s, expect)
    }

    #[test]
    fn reader_whole_buffer_byte_by_byte_and_every_split() {
        let (s, expect) = stream();
        let collecting = || FrameReader::new(true, 1 << 20);
        assert_eq!(events(collecting(), [&s[..]]), expect);
        assert_eq!(events(collecting(), s.chunks(1)), expect);
        // Split into two reads at every position: headers and payloads cut anywhere.
        for cut in 0..s.len() {
            if cut > 400 && cut < s.len() - 200 && cut % 997 != 0 {
                continue; // inside the big payload, a sample is enough
            }
            assert_eq!(events(collecting(), [&s[..cut], &s[cut..]]), expect, "cut at {cut}");
        }
    }

    #[test]
    fn counting_mode_keeps_the_head_of_data_and_all_of_control_payloads() {
        let (s, expect) = stream();
        for size in [1, 2, 3, 13, 14, 15, 2048] {
            for head in [0, 4] {
                let got = events(FrameReader::new(false, 0).with_head(head), s.chunks(size));
                let kept = |(kind, len, p): &(String, u64, Vec<u8>)| {
                    let keep = if kind.starts_with("msg") {
                        p.len().min(head)
                    } else {
                        p.len()
                    };
                    (kind.clone(), *len, p[..keep].to_vec())
                };
                assert_eq!(
                    got,
                    expect.iter().map(kept).collect::<Seen>(),
                    "chunk {size}, head {head}"
                );
            }
        }
    }

    #[test]
    fn collect_limit() {
        let s = frame(OP_TEXT, true, &[b'a'; 100], None);
        let mut r = FrameReader::new(true, 50);
        assert_eq!(r.feed(&s, &mut |_| {}), Err(FrameError::TooLarge(50)));
    }
}
