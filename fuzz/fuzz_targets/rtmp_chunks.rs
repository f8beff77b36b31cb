//! The chunk reader alone, fed the input in pieces whose sizes come from the input: it must not
//! panic, and unfinished messages must stay within the budget.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use openivs_media::rtmp::chunk::{ChunkReader, MAX_BUFFERED, MAX_MESSAGE_LEN};

fuzz_target!(|data: &[u8]| {
    let Some((&step, rest)) = data.split_first() else { return };
    let mut reader = ChunkReader::default();
    reader.set_limits(MAX_MESSAGE_LEN, MAX_BUFFERED);
    let mut buf = BytesMut::new();
    for piece in rest.chunks(usize::from(step).max(1)) {
        buf.extend_from_slice(piece);
        loop {
            match reader.read(&mut buf) {
                Ok(Some(m)) => assert!(m.payload.len() <= MAX_MESSAGE_LEN),
                Ok(None) => break,
                Err(_) => return,
            }
        }
        assert!(reader.reserved() <= MAX_BUFFERED);
        assert!(buf.len() < 18, "only a partial header may stay buffered");
    }
});
