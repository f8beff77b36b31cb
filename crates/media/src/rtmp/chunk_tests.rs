use super::*;
use proptest::prelude::*;
use scuffle_rtmp::chunk::Chunk;
use scuffle_rtmp::chunk::writer::ChunkWriter;
use scuffle_rtmp::messages::MessageType;

fn read_all(r: &mut ChunkReader, bytes: &[u8]) -> Result<Vec<Message>, ChunkError> {
    let mut buf = BytesMut::from(bytes);
    let mut out = Vec::new();
    while let Some(m) = r.read(&mut buf)? {
        out.push(m);
    }
    assert!(buf.is_empty() || r.current.is_none(), "only an incomplete header may stay in the buffer");
    Ok(out)
}

/// Feeds `bytes` in pieces of `step`, as reads from a socket would.
fn read_in_pieces(r: &mut ChunkReader, bytes: &[u8], step: usize) -> Result<Vec<Message>, ChunkError> {
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for piece in bytes.chunks(step.max(1)) {
        buf.extend_from_slice(piece);
        while let Some(m) = r.read(&mut buf)? {
            out.push(m);
        }
        assert!(buf.len() < 18, "more than a partial header left buffered: {}", buf.len());
    }
    Ok(out)
}

fn publishing() -> ChunkReader {
    let mut r = ChunkReader::default();
    r.set_limits(MAX_MESSAGE_LEN, MAX_BUFFERED);
    r
}

#[test]
fn a_message_split_into_128_byte_chunks_is_joined() {
    let mut raw = vec![0x06, 0, 0, 40, 0, 1, 0x2c, 9, 1, 0, 0, 0];
    raw.extend([1u8; 128]);
    raw.push(0xc6);
    raw.extend([2u8; 128]);
    raw.push(0xc6);
    raw.extend([3u8; 44]);
    let m = read_all(&mut publishing(), &raw).unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!((m[0].csid, m[0].timestamp, m[0].type_id, m[0].stream_id), (6, 40, 9, 1));
    assert_eq!(m[0].payload.len(), 300);
    assert_eq!((m[0].payload[0], m[0].payload[128], m[0].payload[299]), (1, 2, 3));
}

#[test]
fn type_3_headers_that_start_messages_repeat_the_delta() {
    // Type 0 at 100 (delta 100 for a following type 3), type 3 → 200, type 2 +21 → 221, type 3 → 242,
    // type 1 +5 with a new length → 247.
    let mut raw = vec![0x04, 0, 0, 100, 0, 0, 1, 8, 1, 0, 0, 0, 0xaa];
    raw.extend([0xc4, 0xab]);
    raw.extend([0x84, 0, 0, 21, 0xac]);
    raw.extend([0xc4, 0xad]);
    raw.extend([0x44, 0, 0, 5, 0, 0, 2, 8, 0xae, 0xaf]);
    let m = read_all(&mut publishing(), &raw).unwrap();
    let times: Vec<_> = m.iter().map(|m| m.timestamp).collect();
    assert_eq!(times, [100, 200, 221, 242, 247]);
    assert_eq!(m[4].payload.as_ref(), [0xae, 0xaf]);
    assert!(m.iter().all(|m| m.stream_id == 1 && m.type_id == 8));
}

#[test]
fn extended_timestamps_are_read_on_type_3_chunks_too() {
    // Type 0 with an extended timestamp of 0x01000000, 200 bytes in chunks of 128: the type-3
    // continuation carries the extended timestamp again (§5.3.1.3).
    let mut raw = vec![0x05, 0xff, 0xff, 0xff, 0, 0, 200, 9, 1, 0, 0, 0, 1, 0, 0, 0];
    raw.extend([7u8; 128]);
    raw.extend([0xc5, 1, 0, 0, 0]);
    raw.extend([8u8; 72]);
    let m = read_all(&mut publishing(), &raw).unwrap();
    assert_eq!((m.len(), m[0].timestamp, m[0].payload.len()), (1, 0x0100_0000, 200));
    assert_eq!(m[0].payload[128], 8);
}

#[test]
fn deltas_wrap_at_32_bits() {
    let mut raw = vec![0x04, 0xff, 0xff, 0xff, 0, 0, 0, 8, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xf0];
    raw.extend([0x84, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff]);
    raw.extend([0xc4, 0x7f, 0xff, 0xff, 0xff]);
    let m = read_all(&mut publishing(), &raw).unwrap();
    let times: Vec<_> = m.iter().map(|m| m.timestamp).collect();
    assert_eq!(times, [0xffff_fff0, 0x7fff_ffef, 0xffff_ffee]);
}

#[test]
fn chunk_size_changes_apply_from_the_next_chunk() {
    let mut raw = vec![0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 1, 0];
    raw.extend([0x06, 0, 0, 0, 0, 1, 0, 9, 1, 0, 0, 0]);
    raw.extend([9u8; 256]);
    let mut r = publishing();
    let m = read_all(&mut r, &raw).unwrap();
    assert_eq!(r.chunk_size(), 256);
    assert_eq!((m.len(), m[1].payload.len()), (2, 256));
    for bad in [0u32, 0x8000_0000] {
        let mut raw = vec![0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0];
        raw.extend(bad.to_be_bytes());
        assert_eq!(read_all(&mut publishing(), &raw), Err(ChunkError::BadChunkSize(bad)));
    }
    let short = [0x02, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 1];
    assert_eq!(read_all(&mut publishing(), &short), Err(ChunkError::BadControl));
}

#[test]
fn abort_drops_an_unfinished_message_and_its_reservation() {
    let mut raw = vec![0x06, 0, 0, 0, 0, 1, 0, 9, 1, 0, 0, 0];
    raw.extend([1u8; 128]);
    let mut r = publishing();
    assert!(read_all(&mut r, &raw).unwrap().is_empty());
    assert_eq!(r.reserved(), 256);
    let abort = [0x02, 0, 0, 0, 0, 0, 4, 2, 0, 0, 0, 0, 0, 0, 0, 6];
    assert_eq!(read_all(&mut r, &abort).unwrap().len(), 1);
    assert_eq!(r.reserved(), 0);
    // The chunk stream may start a new message with a type-1 header now.
    let next = [0x46, 0, 0, 10, 0, 0, 1, 9, 0x17];
    let m = read_all(&mut r, &next).unwrap();
    assert_eq!((m[0].timestamp, m[0].payload.as_ref()), (10, &[0x17][..]));
}

#[test]
fn limits_are_enforced_at_the_header() {
    let mut r = ChunkReader::default();
    let big = [0x03, 0, 0, 0, 0x01, 0x00, 0x01, 20, 0, 0, 0, 0];
    assert_eq!(read_all(&mut r, &big), Err(ChunkError::TooLong(0x010001)));
    let mut r = publishing();
    let mut raw = Vec::new();
    for csid in [4u8, 5, 6] {
        raw.extend([csid, 0, 0, 0, 0x30, 0, 0, 9, 1, 0, 0, 0]);
        raw.extend([0u8; 128]);
    }
    assert_eq!(read_all(&mut r, &raw), Err(ChunkError::OverBudget(9 << 20)));
    let mut r = publishing();
    let mut raw = Vec::new();
    for csid in 0..=MAX_CHUNK_STREAMS as u8 {
        raw.extend([0, csid, 0, 0, 0, 0, 0, 0, 9, 1, 0, 0, 0]);
    }
    assert_eq!(read_all(&mut r, &raw), Err(ChunkError::TooManyStreams));
    assert_eq!(read_all(&mut publishing(), &[0xc7]), Err(ChunkError::NoPrevious(7)));
    let mut raw = vec![0x06, 0, 0, 0, 0, 1, 0, 9, 1, 0, 0, 0];
    raw.extend([1u8; 128]);
    raw.extend([0x46, 0, 0, 0, 0, 0, 50, 9]);
    assert_eq!(read_all(&mut publishing(), &raw), Err(ChunkError::Interrupted(6)));
}

#[test]
fn the_timeline_counts_on_across_the_wrap_and_takes_small_steps_back() {
    let mut t = Timeline::default();
    let got: Vec<_> =
        [0xffff_ff00u32, 0xffff_fff0, 0x10, 0x05, 0x1000].iter().map(|&ts| t.time(ts)).collect();
    let base = 0xffff_ff00_i64;
    assert_eq!(got, [base, base + 0xf0, base + 0x110, base + 0x105, base + 0x1100]);
}

fn arb_message() -> impl Strategy<Value = (u32, u32, u8, u32, Vec<u8>)> {
    (
        prop_oneof![2u32..64, 64u32..320, 320u32..65600],
        any::<u32>(),
        prop_oneof![Just(8u8), Just(9u8), Just(18u8), Just(20u8)],
        0u32..4,
        proptest::collection::vec(any::<u8>(), 0..2000),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// What scuffle-rtmp's writer sends (type 0 then type-3 continuations, extended timestamps on
    /// every chunk), at any chunk size and cut anywhere, reads back as sent.
    #[test]
    fn writer_output_reads_back_at_any_chunk_size_and_cut(
        messages in proptest::collection::vec(arb_message(), 1..12),
        chunk_size in prop_oneof![Just(128usize), 1usize..300, 4096usize..70000],
        step in 1usize..5000,
    ) {
        let mut bytes = Vec::new();
        let mut w = ChunkWriter::default();
        let mut set = vec![0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0];
        set.extend((chunk_size as u32).to_be_bytes());
        bytes.extend(set);
        w.set_chunk_size(chunk_size);
        for (csid, ts, kind, stream, payload) in &messages {
            let chunk = Chunk::new(*csid, *ts, MessageType(*kind), *stream, Bytes::from(payload.clone()));
            w.write_chunk(&mut bytes, chunk).unwrap();
        }
        let got = read_in_pieces(&mut publishing(), &bytes, step).unwrap();
        prop_assert_eq!(got.len(), messages.len() + 1);
        for (m, (csid, ts, kind, stream, payload)) in got[1..].iter().zip(&messages) {
            prop_assert_eq!((m.csid, m.timestamp, m.type_id, m.stream_id), (*csid, *ts, *kind, *stream));
            prop_assert_eq!(m.payload.as_ref(), payload.as_slice());
        }
    }

    /// Arbitrary bytes cut anywhere never panic, and what unfinished messages hold stays within the
    /// budget.
    #[test]
    fn arbitrary_chunk_streams_never_panic_and_stay_within_the_budget(
        bytes in proptest::collection::vec(any::<u8>(), 0..4000),
        step in 1usize..600,
    ) {
        let mut r = publishing();
        let mut buf = BytesMut::new();
        for piece in bytes.chunks(step) {
            buf.extend_from_slice(piece);
            while let Ok(Some(_)) = r.read(&mut buf) {}
            prop_assert!(r.reserved() <= MAX_BUFFERED);
        }
    }
}
