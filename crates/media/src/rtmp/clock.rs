//! Message timestamps as the sender meant them. scuffle-rtmp 0.2.3 gives a message that starts with a
//! type-3 chunk header the previous message's timestamp, where RTMP (spec §5.3.1.2.4) repeats the
//! previous *delta*; ffmpeg sends such headers for equal-size AAC frames, so audio time would stall
//! and then lag behind. This keeps, per chunk stream, the last delta and the time the reader lost.

use scuffle_rtmp::chunk::{Chunk, ChunkType};
use std::collections::HashMap;

/// Chunk streams tracked at most (scuffle-rtmp keeps the headers of 100).
const MAX_STREAMS: usize = 128;

#[derive(Clone, Copy, Default)]
struct Stream {
    /// The reader's timestamp of the last message.
    last: u32,
    /// The delta a type-3 header repeats.
    delta: u32,
    /// What the reader lost to type-3 headers so far.
    offset: u32,
}

/// Corrects message timestamps.
#[derive(Default)]
pub struct Clock {
    streams: HashMap<u32, Stream>,
}

impl Clock {
    /// The timestamp of a complete message; `chunk_size` is the peer's current chunk size (a payload
    /// no longer than it came in one chunk, so its header was the message's first).
    pub fn timestamp(&mut self, chunk: &Chunk, chunk_size: usize) -> u32 {
        let csid = chunk.basic_header.chunk_stream_id;
        if !self.streams.contains_key(&csid) && self.streams.len() >= MAX_STREAMS {
            return chunk.message_header.timestamp;
        }
        let s = self.streams.entry(csid).or_default();
        let ts = chunk.message_header.timestamp;
        match chunk.basic_header.format {
            ChunkType::Type0 => *s = Stream { last: ts, delta: ts, offset: 0 },
            ChunkType::Type3 if chunk.payload.len() <= chunk_size && ts == s.last => {
                s.offset = s.offset.wrapping_add(s.delta);
            }
            _ => {
                if ts != s.last {
                    s.delta = ts.wrapping_sub(s.last);
                    s.last = ts;
                }
            }
        }
        ts.wrapping_add(s.offset)
    }
}
