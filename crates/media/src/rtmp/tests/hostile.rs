//! Hostile chunk streams through a whole session: lengths, chunk sizes, timestamps and chunk stream
//! ids chosen to make a chunk reader buffer without bound, overflow arithmetic or panic. Each test
//! names what a connection may do and what it must end with.

use super::*;

const AAC_FRAME: [u8; 4] = [0xaf, 1, 0x21, 0x10];

/// A chunk basic header (format `fmt`, any chunk stream id from 2 to 65599).
fn basic(fmt: u8, csid: u32) -> Vec<u8> {
    match csid {
        2..=63 => vec![(fmt << 6) | csid as u8],
        64..=319 => vec![fmt << 6, (csid - 64) as u8],
        _ => vec![(fmt << 6) | 1, ((csid - 64) & 0xff) as u8, ((csid - 64) >> 8) as u8],
    }
}

fn u24(v: u32) -> [u8; 3] {
    [(v >> 16) as u8, (v >> 8) as u8, v as u8]
}

/// A type-0 header; the timestamp goes into the extended field when it does not fit 24 bits.
fn type0(csid: u32, ts: u32, len: u32, kind: u8, stream: u32) -> Vec<u8> {
    let mut h = basic(0, csid);
    h.extend(u24(ts.min(0xff_ffff)));
    h.extend(u24(len));
    h.push(kind);
    h.extend(stream.to_le_bytes());
    if ts >= 0xff_ffff {
        h.extend(ts.to_be_bytes());
    }
    h
}

/// A type-2 header (timestamp delta only).
fn type2(csid: u32, delta: u32) -> Vec<u8> {
    let mut h = basic(2, csid);
    h.extend(u24(delta.min(0xff_ffff)));
    if delta >= 0xff_ffff {
        h.extend(delta.to_be_bytes());
    }
    h
}

/// A complete Set Chunk Size message.
fn set_chunk_size(size: u32) -> Vec<u8> {
    let mut m = type0(2, 0, 4, 1, 0);
    m.extend(size.to_be_bytes());
    m
}

/// A publishing session and its client.
async fn publishing(h: &Arc<Fake>) -> (Client, tokio::task::JoinHandle<Outcome>) {
    let (io, task) = start(h.clone(), limits());
    let mut c = Client::handshake(io).await;
    c.obs_publish("sk_good").await;
    let text = c.read_text(Duration::from_millis(100)).await;
    assert!(text.contains("NetStream.Publish.Start"), "{text}");
    (c, task)
}

async fn outcome(task: tokio::task::JoinHandle<Outcome>) -> Outcome {
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the session ends")
        .expect("the session task must not panic")
}

fn frame_times(h: &Fake) -> Vec<i64> {
    let seen = h.seen.lock().unwrap();
    seen.items.iter().filter_map(|i| if let MediaItem::Frame(f) = i { Some(f.dts) } else { None }).collect()
}

fn is_protocol_error(o: &Outcome) -> bool {
    matches!(o, Outcome::Ended(EndReason::ProtocolError(_)))
}

#[tokio::test]
async fn timestamps_wrap_past_u32_max_as_rtmp_says() {
    let h = fake();
    let (mut c, task) = publishing(&h).await;
    // Type 0 at 2^32 - 16 ms (extended), then +32 ms (type 2) and the same delta again (type 3): the
    // 32-bit times wrap, the frames' times go on counting.
    let mut raw = type0(4, 0xffff_fff0, 4, 8, 1);
    raw.extend(AAC_FRAME);
    raw.extend(type2(4, 32));
    raw.extend(AAC_FRAME);
    raw.extend(basic(3, 4));
    raw.extend(AAC_FRAME);
    c.io.write_all(&raw).await.unwrap();
    c.command(0, &[s("FCUnpublish"), n(6.0), Amf0Value::Null, s("sk_good")]).await;
    assert_eq!(outcome(task).await, Outcome::Ended(EndReason::Unpublished));
    let base = 0xffff_fff0_i64;
    assert_eq!(frame_times(&h), [base, base + 32, base + 64]);
}

#[tokio::test]
async fn an_extended_delta_near_u32_max_wraps_before_publish_too() {
    let h = fake();
    let (io, task) = start(h.clone(), limits());
    let mut c = Client::handshake(io).await;
    // An unknown message type (0x20) on chunk stream 5, at a time near the end of the 32-bit range,
    // then a delta that crosses it.
    let mut raw = type0(5, 0xffff_ff00, 0, 0x20, 0);
    raw.extend(type2(5, 0x0100_0000));
    c.io.write_all(&raw).await.unwrap();
    c.obs_publish("sk_good").await;
    let text = c.read_text(Duration::from_millis(200)).await;
    assert!(text.contains("NetStream.Publish.Start"), "{text}");
    drop(c);
    assert_eq!(outcome(task).await, Outcome::Ended(EndReason::Disconnected));
}

#[tokio::test]
async fn a_message_longer_than_the_limit_is_refused_at_its_header() {
    let h = fake();
    let (mut c, task) = publishing(&h).await;
    c.io.write_all(&type0(6, 0, 9 << 20, 9, 1)).await.unwrap();
    c.io.write_all(&[0x17; 128]).await.unwrap();
    let o = outcome(task).await;
    assert!(is_protocol_error(&o), "{o:?}");
}

#[tokio::test]
async fn unfinished_messages_cannot_buffer_more_than_the_connection_budget() {
    let h = fake();
    let (mut c, task) = publishing(&h).await;
    c.io.write_all(&set_chunk_size(65536)).await.unwrap();
    // Three messages of 3 MiB each, begun and never finished: together over the budget.
    for csid in [6, 7, 8] {
        c.io.write_all(&type0(csid, 0, 3 << 20, 9, 1)).await.unwrap();
        let _ = c.io.write_all(&vec![0x27; 65536]).await;
    }
    let o = outcome(task).await;
    assert!(is_protocol_error(&o), "{o:?}");
}

#[tokio::test]
async fn a_length_that_shrinks_mid_message_is_an_error_not_a_panic() {
    let h = fake();
    let (mut c, task) = publishing(&h).await;
    let mut raw = type0(6, 0, 300, 9, 1);
    raw.extend([0x27; 128]);
    // A type-1 header for a 50-byte message while 128 bytes of the 300 are buffered.
    raw.extend(basic(1, 6));
    raw.extend(u24(0));
    raw.extend(u24(50));
    raw.push(9);
    raw.extend([0x27; 50]);
    c.io.write_all(&raw).await.unwrap();
    let o = outcome(task).await;
    assert!(is_protocol_error(&o), "{o:?}");
}

#[tokio::test]
async fn the_largest_chunk_size_rtmp_allows_is_served_without_buffering_whole_chunks() {
    let h = fake();
    let (mut c, task) = publishing(&h).await;
    c.io.write_all(&set_chunk_size(0x7fff_ffff)).await.unwrap();
    let mut frame = vec![0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65];
    frame.resize(200_000, 0x55);
    let mut raw = type0(6, 40, frame.len() as u32, 9, 1);
    raw.extend(&frame);
    for piece in raw.chunks(1000) {
        c.io.write_all(piece).await.unwrap();
    }
    c.command(0, &[s("FCUnpublish"), n(6.0), Amf0Value::Null, s("sk_good")]).await;
    assert_eq!(outcome(task).await, Outcome::Ended(EndReason::Unpublished));
    assert_eq!(frame_times(&h), [40]);
}

#[tokio::test]
async fn a_chunk_size_of_zero_or_with_the_top_bit_set_is_an_error() {
    for size in [0, 0x8000_0000] {
        let h = fake();
        let (mut c, task) = publishing(&h).await;
        c.io.write_all(&set_chunk_size(size)).await.unwrap();
        let o = outcome(task).await;
        assert!(is_protocol_error(&o), "{size:#x}: {o:?}");
    }
}

#[tokio::test]
async fn thousands_of_chunk_stream_ids_are_refused() {
    let h = fake();
    let (mut c, task) = publishing(&h).await;
    let mut raw = Vec::new();
    for csid in 64..3000 {
        raw.extend(type0(csid, 0, 0, 0x20, 1));
    }
    let _ = c.io.write_all(&raw).await;
    let o = outcome(task).await;
    assert!(is_protocol_error(&o), "{o:?}");
}

#[tokio::test]
async fn a_delta_header_on_a_new_chunk_stream_is_an_error() {
    let h = fake();
    let (mut c, task) = publishing(&h).await;
    c.io.write_all(&type2(9, 10)).await.unwrap();
    let o = outcome(task).await;
    assert!(is_protocol_error(&o), "{o:?}");
}
