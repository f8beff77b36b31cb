//! The RTMP chunk stream (RTMP spec §5.3), read into whole messages with bounded memory.
//!
//! Written here instead of using scuffle-rtmp 0.2.3's `ChunkReader`, which a hostile peer can drive
//! into trouble: a type-2 header's timestamp delta is added unchecked (overflow panic in debug builds);
//! a type-1 header that shrinks the length of a message in progress underflows a `usize` (panic in
//! debug, in release a message that never completes); up to four unfinished messages of 10 MB each are
//! buffered per connection; a whole chunk must be buffered before any of it is used, so chunk sizes over
//! 64 KiB are refused although RTMP allows up to 2^31 - 1; and a message that starts with a type-3
//! header gets the previous *timestamp* where RTMP repeats the previous *delta*. Checking the stream in
//! front of that reader would have meant parsing every header twice, so this reader replaces it.
//!
//! What a connection may hold here: the payload of its unfinished messages, whose declared lengths
//! must stay within a budget ([`ChunkReader::set_limits`]), plus the state of at most
//! [`MAX_CHUNK_STREAMS`] chunk streams. Chunk payloads are consumed as they arrive, so the chunk size
//! costs no memory. Timestamps are 32-bit and wrap, as RTMP specifies (§5.3.1.3 and §3.1.1 of the
//! message format); [`Timeline`] turns them into a 64-bit time that keeps counting across the wrap.

use bytes::{Buf, Bytes, BytesMut};
use std::collections::HashMap;

/// The largest message accepted while publishing. A keyframe of a 1080p stream at IVS's highest
/// bitrates is a few hundred kilobytes; nginx-rtmp's default `max_message` is 1 MB.
pub const MAX_MESSAGE_LEN: usize = 4 << 20;
/// What the unfinished messages of one publishing connection may hold together.
pub const MAX_BUFFERED: usize = 6 << 20;
/// The message and buffering limits before a publish is authorized (commands are a few hundred bytes).
pub const SETUP_MESSAGE_LEN: usize = 64 << 10;
/// Chunk streams one connection may use (encoders use three to six).
pub const MAX_CHUNK_STREAMS: usize = 64;
/// The chunk size until the peer sets one (§5.4.1).
pub const INITIAL_CHUNK_SIZE: usize = 128;

/// A chunk stream that breaks the protocol or the limits; the connection should be closed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChunkError {
    /// A message longer than the limit.
    #[error("a message of {0} bytes is over the limit")]
    TooLong(u32),
    /// Unfinished messages would hold more than the connection's budget.
    #[error("unfinished messages would hold {0} bytes, over the connection's budget")]
    OverBudget(usize),
    /// More chunk streams than [`MAX_CHUNK_STREAMS`].
    #[error("too many chunk streams")]
    TooManyStreams,
    /// A type 1, 2 or 3 header on a chunk stream that never had a type-0 header.
    #[error("chunk stream {0} refers to a header it never sent")]
    NoPrevious(u32),
    /// A type 0, 1 or 2 header while a message of the same chunk stream is unfinished.
    #[error("chunk stream {0} starts a message in the middle of another")]
    Interrupted(u32),
    /// Set Chunk Size with 0 or the top bit set.
    #[error("invalid chunk size {0:#x}")]
    BadChunkSize(u32),
    /// A protocol control message shorter than its 4 bytes.
    #[error("truncated protocol control message")]
    BadControl,
}

/// One complete message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The chunk stream it came on.
    pub csid: u32,
    /// Its timestamp (ms, 32-bit, wrapping).
    pub timestamp: u32,
    /// Message type id (1 Set Chunk Size, 8 audio, 9 video, 18 data, 20 command, …).
    pub type_id: u8,
    /// Message stream id.
    pub stream_id: u32,
    /// The payload.
    pub payload: Bytes,
}

const SET_CHUNK_SIZE: u8 = 1;
const ABORT: u8 = 2;

/// The last header of a chunk stream, and its unfinished message.
#[derive(Default)]
struct Stream {
    timestamp: u32,
    /// The delta a type-3 header that starts a message repeats (after type 0: its timestamp).
    delta: u32,
    length: u32,
    type_id: u8,
    stream_id: u32,
    /// The last type 0/1/2 header had an extended timestamp, so type-3 chunks carry one too.
    extended: bool,
    partial: Option<BytesMut>,
}

/// A parsed chunk header, before it is applied.
struct Header {
    fmt: u8,
    csid: u32,
    /// Timestamp (type 0) or delta (types 1, 2), extended when it was 0xFFFFFF.
    time: u32,
    extended: bool,
    length: u32,
    type_id: u8,
    stream_id: u32,
}

/// Reads chunks into messages. See the module documentation for the limits.
pub struct ChunkReader {
    streams: HashMap<u32, Stream>,
    chunk_size: usize,
    /// Sum of the declared lengths of unfinished messages.
    reserved: usize,
    /// The chunk whose payload is being read: its stream and the payload bytes it still carries.
    current: Option<(u32, usize)>,
    max_message: usize,
    budget: usize,
}

impl Default for ChunkReader {
    fn default() -> Self {
        ChunkReader {
            streams: HashMap::new(),
            chunk_size: INITIAL_CHUNK_SIZE,
            reserved: 0,
            current: None,
            max_message: SETUP_MESSAGE_LEN,
            budget: SETUP_MESSAGE_LEN,
        }
    }
}

impl ChunkReader {
    /// Sets the longest message and the budget of unfinished messages (they start at
    /// [`SETUP_MESSAGE_LEN`] for both; a publisher gets [`MAX_MESSAGE_LEN`] and [`MAX_BUFFERED`]).
    pub fn set_limits(&mut self, max_message: usize, budget: usize) {
        self.max_message = max_message;
        self.budget = budget;
    }

    /// The peer's current chunk size.
    pub fn chunk_size(&self) -> usize {
        self.chunk_size
    }

    /// Bytes the unfinished messages may grow to (their declared lengths); their buffers are
    /// allocated at that size, so this bounds what they hold.
    pub fn reserved(&self) -> usize {
        self.reserved
    }

    /// Takes what it can from `buf` and returns the next complete message, or `None` when `buf` is
    /// used up. Set Chunk Size and Abort take effect here (and are returned too).
    pub fn read(&mut self, buf: &mut BytesMut) -> Result<Option<Message>, ChunkError> {
        loop {
            if let Some((csid, left)) = self.current {
                if buf.is_empty() {
                    return Ok(None);
                }
                let take = left.min(buf.len());
                let Some(stream) = self.streams.get_mut(&csid) else {
                    return Err(ChunkError::NoPrevious(csid));
                };
                let Some(partial) = stream.partial.as_mut() else { return Err(ChunkError::NoPrevious(csid)) };
                partial.extend_from_slice(&buf[..take]);
                buf.advance(take);
                self.current = (left > take).then_some((csid, left - take));
                if partial.len() == stream.length as usize {
                    let payload = stream.partial.take().map(BytesMut::freeze).unwrap_or_default();
                    self.reserved -= stream.length as usize;
                    return self.complete(csid, payload).map(Some);
                }
                continue;
            }
            let Some((header, used)) = self.parse_header(buf)? else { return Ok(None) };
            buf.advance(used);
            if let Some(message) = self.apply(header, buf)? {
                return Ok(Some(message));
            }
        }
    }

    /// Parses the header at the start of `b` without consuming it; `None` when it is incomplete.
    fn parse_header(&self, b: &[u8]) -> Result<Option<(Header, usize)>, ChunkError> {
        let Some(&first) = b.first() else { return Ok(None) };
        let fmt = first >> 6;
        let (csid, mut at) = match first & 0x3f {
            0 if b.len() >= 2 => (64 + u32::from(b[1]), 2),
            1 if b.len() >= 3 => (64 + u32::from(b[1]) + 256 * u32::from(b[2]), 3),
            0 | 1 => return Ok(None),
            id => (u32::from(id), 1),
        };
        let fixed = [11, 7, 3, 0][usize::from(fmt)];
        if b.len() < at + fixed {
            return Ok(None);
        }
        let f = &b[at..at + fixed];
        at += fixed;
        let mut h = Header { fmt, csid, time: 0, extended: false, length: 0, type_id: 0, stream_id: 0 };
        if fmt < 3 {
            h.time = u24(&f[0..3]);
            h.extended = h.time == 0xff_ffff;
        }
        if fmt < 2 {
            h.length = u24(&f[3..6]);
            h.type_id = f[6];
        }
        if fmt == 0 {
            h.stream_id = u32::from_le_bytes([f[7], f[8], f[9], f[10]]);
        }
        let previous_extended = self.streams.get(&csid).map(|s| s.extended);
        if fmt > 0 && previous_extended.is_none() {
            return Err(ChunkError::NoPrevious(csid));
        }
        if h.extended || (fmt == 3 && previous_extended == Some(true)) {
            if b.len() < at + 4 {
                return Ok(None);
            }
            if fmt < 3 {
                h.time = u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
            }
            at += 4;
        }
        Ok(Some((h, at)))
    }

    /// Applies a header: begins or continues a message. A message of length 0 completes at once.
    fn apply(&mut self, h: Header, buf: &mut BytesMut) -> Result<Option<Message>, ChunkError> {
        if !self.streams.contains_key(&h.csid) && self.streams.len() >= MAX_CHUNK_STREAMS {
            return Err(ChunkError::TooManyStreams);
        }
        let s = self.streams.entry(h.csid).or_default();
        if let Some(partial) = &s.partial {
            if h.fmt != 3 {
                return Err(ChunkError::Interrupted(h.csid));
            }
            let left = s.length as usize - partial.len();
            self.current = Some((h.csid, left.min(self.chunk_size)));
            return Ok(None);
        }
        match h.fmt {
            0 => {
                (s.timestamp, s.delta) = (h.time, h.time);
                (s.length, s.type_id, s.stream_id) = (h.length, h.type_id, h.stream_id);
            }
            1 => {
                s.delta = h.time;
                s.timestamp = s.timestamp.wrapping_add(h.time);
                (s.length, s.type_id) = (h.length, h.type_id);
            }
            2 => {
                s.delta = h.time;
                s.timestamp = s.timestamp.wrapping_add(h.time);
            }
            _ => s.timestamp = s.timestamp.wrapping_add(s.delta),
        }
        if h.fmt < 3 {
            s.extended = h.extended;
        }
        let length = s.length as usize;
        if length > self.max_message {
            return Err(ChunkError::TooLong(s.length));
        }
        if length == 0 {
            return self.complete(h.csid, Bytes::new()).map(Some);
        }
        if length <= self.chunk_size && buf.len() >= length {
            // The whole message is here in one chunk: no copy.
            let payload = buf.split_to(length).freeze();
            return self.complete(h.csid, payload).map(Some);
        }
        let reserved = self.reserved + length;
        if reserved > self.budget {
            return Err(ChunkError::OverBudget(reserved));
        }
        self.reserved = reserved;
        s.partial = Some(BytesMut::with_capacity(length));
        self.current = Some((h.csid, length.min(self.chunk_size)));
        Ok(None)
    }

    /// A message is complete: protocol control messages take effect, then it is returned.
    fn complete(&mut self, csid: u32, payload: Bytes) -> Result<Message, ChunkError> {
        let s = self.streams.get(&csid).ok_or(ChunkError::NoPrevious(csid))?;
        let m = Message { csid, timestamp: s.timestamp, type_id: s.type_id, stream_id: s.stream_id, payload };
        if m.type_id == SET_CHUNK_SIZE || m.type_id == ABORT {
            let value = m.payload.get(..4).ok_or(ChunkError::BadControl)?;
            let value = u32::from_be_bytes([value[0], value[1], value[2], value[3]]);
            if m.type_id == SET_CHUNK_SIZE {
                if value == 0 || value & 0x8000_0000 != 0 {
                    return Err(ChunkError::BadChunkSize(value));
                }
                self.chunk_size = value as usize;
            } else if let Some(aborted) = self.streams.get_mut(&value)
                && aborted.partial.take().is_some()
            {
                // Abort: the unfinished message of that chunk stream is dropped.
                self.reserved -= aborted.length as usize;
            }
        }
        Ok(m)
    }
}

fn u24(b: &[u8]) -> u32 {
    (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2])
}

/// Turns 32-bit wrapping message timestamps into a 64-bit time that keeps counting: each timestamp is
/// taken as the nearest value, forward or back, to the previous one (audio and video interleave a
/// little out of order; the 32-bit clock wraps after 49.7 days).
#[derive(Default)]
pub struct Timeline {
    last: Option<(u32, i64)>,
}

impl Timeline {
    /// The 64-bit time of a message timestamp.
    pub fn time(&mut self, ts: u32) -> i64 {
        let t = match self.last {
            None => i64::from(ts),
            Some((last, t)) => t.saturating_add(i64::from(ts.wrapping_sub(last) as i32)),
        };
        self.last = Some((ts, t));
        t
    }
}

#[cfg(test)]
#[path = "chunk_tests.rs"]
mod tests;
