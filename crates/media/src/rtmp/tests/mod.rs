//! Session tests against a scripted client that sends the command sequences of OBS (librtmp:
//! `connect`, `releaseStream`, `FCPublish`, `createStream`, `publish`) and ffmpeg, over an in-memory
//! pipe, with a fake handler.

use super::{Limits, Outcome, SessionConfig, run_session};
use crate::flv;
use crate::frame::MediaItem;
use crate::ingest::{
    Authorized, EndReason, IngestHandler, MediaSink, PublishRequest, Refusal, StreamMetadata,
};
use bytes::Bytes;
use scuffle_amf0::encoder::Amf0Encoder;
use scuffle_amf0::{Amf0Object, Amf0Value};
use scuffle_rtmp::chunk::Chunk;
use scuffle_rtmp::chunk::writer::ChunkWriter;
use scuffle_rtmp::messages::MessageType;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::watch;

#[derive(Default)]
struct Seen {
    items: Vec<MediaItem>,
    meta: Vec<StreamMetadata>,
    ended: Option<EndReason>,
    keys: Vec<String>,
}

struct Fake {
    seen: Arc<Mutex<Seen>>,
    stop: watch::Sender<bool>,
}

struct Sink(Arc<Mutex<Seen>>);

impl MediaSink for Sink {
    fn media(&mut self, item: MediaItem) {
        self.0.lock().unwrap().items.push(item);
    }
    fn metadata(&mut self, meta: StreamMetadata) {
        self.0.lock().unwrap().meta.push(meta);
    }
    fn end(self: Box<Self>, reason: EndReason) {
        self.0.lock().unwrap().ended = Some(reason);
    }
}

#[async_trait::async_trait]
impl IngestHandler for Fake {
    async fn authorize(&self, request: PublishRequest) -> Result<Authorized, Refusal> {
        self.seen.lock().unwrap().keys.push(request.stream_key.clone());
        if request.stream_key != "sk_good" {
            return Err(Refusal::BadKey);
        }
        Ok(Authorized { sink: Box::new(Sink(self.seen.clone())), stop: self.stop.subscribe() })
    }
}

fn fake() -> Arc<Fake> {
    Arc::new(Fake { seen: Arc::default(), stop: watch::channel(false).0 })
}

fn limits() -> Limits {
    Limits {
        setup_timeout: Duration::from_millis(500),
        starvation_timeout: Duration::from_millis(600),
        max_duration: Duration::from_secs(60),
        max_connections: 8,
        max_pending_per_address: 8,
    }
}

/// Serves one in-memory connection; returns the client end and the session's outcome.
fn start(handler: Arc<Fake>, limits: Limits) -> (DuplexStream, tokio::task::JoinHandle<Outcome>) {
    let (client, server) = tokio::io::duplex(1 << 20);
    let cfg = SessionConfig { secure: true, peer: None, limits };
    (client, tokio::spawn(async move { run_session(server, handler.as_ref(), &cfg).await }))
}

/// A scripted RTMP client.
struct Client {
    io: DuplexStream,
    writer: ChunkWriter,
}

fn amf(values: &[Amf0Value<'static>]) -> Bytes {
    let mut out = Vec::new();
    let mut enc = Amf0Encoder::new(&mut out);
    for v in values {
        v.encode(&mut enc).unwrap();
    }
    Bytes::from(out)
}

fn s(v: &str) -> Amf0Value<'static> {
    Amf0Value::String(v.to_string().into())
}

fn n(v: f64) -> Amf0Value<'static> {
    Amf0Value::Number(v)
}

impl Client {
    async fn handshake(io: DuplexStream) -> Self {
        let mut c = Client { io, writer: ChunkWriter::default() };
        let mut c0c1 = vec![3u8];
        c0c1.extend(std::iter::repeat_n(7u8, 1536));
        c0c1[5..9].copy_from_slice(&[0, 0, 0, 0]);
        c.io.write_all(&c0c1).await.unwrap();
        let mut s0s1s2 = vec![0u8; 1 + 1536 * 2];
        c.io.read_exact(&mut s0s1s2).await.unwrap();
        c.io.write_all(&s0s1s2[1..1537]).await.unwrap();
        c
    }

    async fn send(&mut self, csid: u32, ts: u32, kind: MessageType, stream: u32, payload: Bytes) {
        let mut out = Vec::new();
        self.writer.write_chunk(&mut out, Chunk::new(csid, ts, kind, stream, payload)).unwrap();
        // The server may have closed already (refusals, limits); what it answered is checked instead.
        let _ = self.io.write_all(&out).await;
    }

    async fn command(&mut self, stream: u32, values: &[Amf0Value<'static>]) {
        self.send(3, 0, MessageType::CommandAMF0, stream, amf(values)).await;
    }

    /// OBS's (librtmp's) sequence up to and including `publish`.
    async fn obs_publish(&mut self, key: &str) {
        let app: Amf0Object = [
            ("app".into(), s("app")),
            ("type".into(), s("nonprivate")),
            ("flashVer".into(), s("FMLE/3.0 (compatible; FMSc/1.0)")),
            ("swfUrl".into(), s("rtmps://127.0.0.1/app")),
            ("tcUrl".into(), s("rtmps://127.0.0.1/app")),
        ]
        .into_iter()
        .collect();
        self.command(0, &[s("connect"), n(1.0), Amf0Value::Object(app)]).await;
        self.command(0, &[s("releaseStream"), n(2.0), Amf0Value::Null, s(key)]).await;
        self.command(0, &[s("FCPublish"), n(3.0), Amf0Value::Null, s(key)]).await;
        self.command(0, &[s("createStream"), n(4.0), Amf0Value::Null]).await;
        self.command(1, &[s("publish"), n(5.0), Amf0Value::Null, s(key), s("live")]).await;
    }

    /// Reads what the server sent within `wait`, as text (AMF0 strings are readable in it).
    async fn read_text(&mut self, wait: Duration) -> String {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        let deadline = tokio::time::Instant::now() + wait;
        while let Ok(Ok(k)) = tokio::time::timeout_at(deadline, self.io.read(&mut buf)).await {
            if k == 0 {
                break;
            }
            out.extend_from_slice(&buf[..k]);
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

const AAC_SEQ: &[u8] = &[0xaf, 0x00, 0x11, 0x88, 0x56, 0xe5, 0x00];

#[tokio::test]
async fn obs_sequence_publishes_frames_and_metadata_then_unpublishes() {
    let h = fake();
    let (io, task) = start(h.clone(), limits());
    let mut c = Client::handshake(io).await;
    c.obs_publish("sk_good").await;
    let text = c.read_text(Duration::from_millis(200)).await;
    assert!(text.contains("NetConnection.Connect.Success"), "{text}");
    assert!(text.contains("NetStream.Publish.Start"), "{text}");
    let meta: Amf0Object =
        [("encoder".into(), s("obs-output module (libobs version 30.0.0)"))].into_iter().collect();
    c.send(
        4,
        0,
        MessageType::DataAMF0,
        1,
        amf(&[s("@setDataFrame"), s("onMetaData"), Amf0Value::Object(meta)]),
    )
    .await;
    c.send(6, 0, MessageType::Video, 1, Bytes::from_static(flv::tests::AVC_SEQ)).await;
    c.send(4, 0, MessageType::Audio, 1, Bytes::from_static(AAC_SEQ)).await;
    c.send(6, 0, MessageType::Video, 1, Bytes::from_static(&[0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65])).await;
    c.send(4, 21, MessageType::Audio, 1, Bytes::from_static(&[0xaf, 1, 0x21, 0x10])).await;
    c.send(6, 33, MessageType::Video, 1, Bytes::from_static(&[0x27, 1, 0, 0, 0, 0, 0, 0, 1, 0x41])).await;
    c.command(0, &[s("FCUnpublish"), n(6.0), Amf0Value::Null, s("sk_good")]).await;
    let outcome = tokio::time::timeout(Duration::from_secs(5), task).await.unwrap().unwrap();
    assert_eq!(outcome, Outcome::Ended(EndReason::Unpublished));
    let seen = h.seen.lock().unwrap();
    assert_eq!(seen.ended, Some(EndReason::Unpublished));
    assert_eq!(seen.meta[0].encoder.as_deref(), Some("obs-output module (libobs version 30.0.0)"));
    assert!(matches!(&seen.items[0], MediaItem::VideoConfig(v) if v.width == 640 && v.height == 360));
    assert!(matches!(&seen.items[1], MediaItem::AudioConfig(a) if a.sample_rate == 48000));
    let frames: Vec<_> = seen
        .items
        .iter()
        .filter_map(|i| if let MediaItem::Frame(f) = i { Some(f.dts) } else { None })
        .collect();
    assert_eq!(frames, vec![0, 21, 33]);
}

#[tokio::test]
async fn a_wrong_key_is_refused_with_bad_name_and_closed() {
    let h = fake();
    let (io, task) = start(h.clone(), limits());
    let mut c = Client::handshake(io).await;
    c.obs_publish("sk_wrong").await;
    let text = c.read_text(Duration::from_millis(300)).await;
    assert!(text.contains("NetStream.Publish.BadName"), "{text}");
    assert_eq!(task.await.unwrap(), Outcome::Refused(Refusal::BadKey));
}

#[tokio::test]
async fn play_and_other_applications_are_refused() {
    let (io, task) = start(fake(), limits());
    let mut c = Client::handshake(io).await;
    let app: Amf0Object = [("app".into(), s("app"))].into_iter().collect();
    c.command(0, &[s("connect"), n(1.0), Amf0Value::Object(app)]).await;
    c.command(1, &[s("play"), n(2.0), Amf0Value::Null, s("sk_good")]).await;
    let text = c.read_text(Duration::from_millis(300)).await;
    assert!(text.contains("NetStream.Play.Failed"), "{text}");
    assert!(matches!(task.await.unwrap(), Outcome::Closed(_)));

    let (io, task) = start(fake(), limits());
    let mut c = Client::handshake(io).await;
    let app: Amf0Object = [("app".into(), s("live"))].into_iter().collect();
    c.command(0, &[s("connect"), n(1.0), Amf0Value::Object(app)]).await;
    let text = c.read_text(Duration::from_millis(300)).await;
    assert!(text.contains("NetConnection.Connect.Rejected"), "{text}");
    assert!(matches!(task.await.unwrap(), Outcome::Closed(_)));
}

#[tokio::test]
async fn a_stall_mid_handshake_times_out() {
    let (mut io, task) = start(fake(), limits());
    io.write_all(&[3u8; 700]).await.unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(5), task).await.unwrap().unwrap();
    assert_eq!(outcome, Outcome::Closed("setup timed out".into()));
}

#[tokio::test]
async fn stop_starvation_and_abrupt_disconnects_end_the_stream() {
    // Stopped by the server.
    let h = fake();
    let (io, task) = start(h.clone(), limits());
    let mut c = Client::handshake(io).await;
    c.obs_publish("sk_good").await;
    c.read_text(Duration::from_millis(100)).await;
    h.stop.send_replace(true);
    assert_eq!(task.await.unwrap(), Outcome::Ended(EndReason::Stopped));
    // Starved: no media for the starvation timeout.
    let h = fake();
    let (io, task) = start(h.clone(), limits());
    let mut c = Client::handshake(io).await;
    c.obs_publish("sk_good").await;
    let outcome = tokio::time::timeout(Duration::from_secs(5), task).await.unwrap().unwrap();
    assert_eq!(outcome, Outcome::Ended(EndReason::Starved));
    drop(c);
    // The encoder vanishes.
    let h = fake();
    let (io, task) = start(h.clone(), limits());
    let mut c = Client::handshake(io).await;
    c.obs_publish("sk_good").await;
    c.read_text(Duration::from_millis(100)).await;
    drop(c);
    assert_eq!(task.await.unwrap(), Outcome::Ended(EndReason::Disconnected));
    assert_eq!(h.seen.lock().unwrap().ended, Some(EndReason::Disconnected));
}

#[tokio::test]
async fn a_type_3_header_repeats_the_previous_delta() {
    let h = fake();
    let (io, task) = start(h.clone(), limits());
    let mut c = Client::handshake(io).await;
    c.obs_publish("sk_good").await;
    c.read_text(Duration::from_millis(100)).await;
    let aac = [0xaf, 1, 0x21, 0x10];
    // Type 0 at 1000 ms, type 2 (+21 ms), then two type-3 headers: 1000, 1021, 1042, 1063.
    let mut raw = vec![0x04, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x04, 0x08, 1, 0, 0, 0];
    raw.extend(aac);
    raw.extend([0x84, 0x00, 0x00, 0x15]);
    raw.extend(aac);
    for _ in 0..2 {
        raw.push(0xc4);
        raw.extend(aac);
    }
    c.io.write_all(&raw).await.unwrap();
    c.command(0, &[s("FCUnpublish"), n(6.0), Amf0Value::Null, s("sk_good")]).await;
    assert_eq!(task.await.unwrap(), Outcome::Ended(EndReason::Unpublished));
    let seen = h.seen.lock().unwrap();
    let dts: Vec<_> = seen
        .items
        .iter()
        .filter_map(|i| if let MediaItem::Frame(f) = i { Some(f.dts) } else { None })
        .collect();
    assert_eq!(dts, [1000, 1021, 1042, 1063]);
}

#[tokio::test]
async fn a_stream_ends_at_its_maximum_duration() {
    let h = fake();
    let (io, task) = start(h.clone(), Limits { max_duration: Duration::from_millis(300), ..limits() });
    let mut c = Client::handshake(io).await;
    c.obs_publish("sk_good").await;
    for i in 0..20u32 {
        c.send(4, i * 21, MessageType::Audio, 1, Bytes::from_static(&[0xaf, 1, 0x21, 0x10])).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let outcome = tokio::time::timeout(Duration::from_secs(5), task).await.unwrap().unwrap();
    assert_eq!(outcome, Outcome::Ended(EndReason::MaxDuration));
}

#[tokio::test]
async fn garbage_after_the_handshake_closes_without_authorizing() {
    let h = fake();
    let (io, task) = start(h.clone(), limits());
    let mut c = Client::handshake(io).await;
    c.io.write_all(&[0x03, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0x14, 0, 0, 0, 0]).await.unwrap();
    c.io.write_all(&[0xaa; 4000]).await.unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(5), task).await.unwrap().unwrap();
    assert!(matches!(outcome, Outcome::Closed(_)), "{outcome:?}");
    assert!(h.seen.lock().unwrap().keys.is_empty());
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        fn arbitrary_bytes_after_the_handshake_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..3000)) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let (io, task) = start(fake(), Limits { setup_timeout: Duration::from_millis(100), ..limits() });
                let mut c = Client::handshake(io).await;
                let _ = c.io.write_all(&bytes).await;
                let outcome = task.await.expect("the session task must not panic");
                prop_assert!(!matches!(outcome, Outcome::Ended(_)));
                Ok(())
            })?;
        }
    }
}

mod hostile;
