//! Recorded client bytes replayed into an ingest session: what ffmpeg 5.1 sent when publishing to
//! openivs over RTMP (complex handshake, connect, releaseStream, FCPublish, createStream, publish,
//! @setDataFrame, AVC and AAC sequence headers, the first frames), cut at 60 000 bytes. The stream
//! key in it was replaced by a same-length placeholder.

use openivs_media::MediaItem;
use openivs_media::ingest::{
    Authorized, EndReason, IngestHandler, MediaSink, PublishRequest, Refusal, StreamMetadata,
};
use openivs_media::rtmp::{Limits, Outcome, SessionConfig, run_session};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const FFMPEG: &[u8] = include_bytes!("fixtures/ffmpeg-5.1-publish.bin");
const KEY: &str = "sk_us-west-2_FixtureKey01_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

#[derive(Default)]
struct Seen {
    items: Vec<MediaItem>,
    meta: Option<StreamMetadata>,
    key: Option<String>,
}

struct Handler(Arc<Mutex<Seen>>, tokio::sync::watch::Sender<bool>);
struct Sink(Arc<Mutex<Seen>>);

impl MediaSink for Sink {
    fn media(&mut self, item: MediaItem) {
        self.0.lock().unwrap().items.push(item);
    }
    fn metadata(&mut self, meta: StreamMetadata) {
        self.0.lock().unwrap().meta = Some(meta);
    }
    fn end(self: Box<Self>, _: EndReason) {}
}

#[async_trait::async_trait]
impl IngestHandler for Handler {
    async fn authorize(&self, r: PublishRequest) -> Result<Authorized, Refusal> {
        self.0.lock().unwrap().key = Some(r.stream_key);
        Ok(Authorized { sink: Box::new(Sink(self.0.clone())), stop: self.1.subscribe() })
    }
}

#[tokio::test]
async fn ffmpeg_publish_bytes_replay() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let handler = Handler(seen.clone(), tokio::sync::watch::channel(false).0);
    let (mut client, server) = tokio::io::duplex(1 << 20);
    let cfg = SessionConfig { secure: false, peer: None, limits: Limits::default() };
    let session = tokio::spawn(async move { run_session(server, &handler, &cfg).await });
    client.write_all(FFMPEG).await.unwrap();
    client.shutdown().await.unwrap();
    let mut replies = Vec::new();
    let _ = client.read_to_end(&mut replies).await;
    assert_eq!(
        session.await.unwrap(),
        Outcome::Ended(EndReason::Disconnected),
        "cut mid-stream, no unpublish"
    );
    let text = String::from_utf8_lossy(&replies);
    assert!(text.contains("NetConnection.Connect.Success") && text.contains("NetStream.Publish.Start"));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.key.as_deref(), Some(KEY));
    assert!(seen.meta.as_ref().and_then(|m| m.encoder.as_deref()).is_some_and(|e| e.starts_with("Lavf")));
    let video = seen
        .items
        .iter()
        .find_map(|i| if let MediaItem::VideoConfig(v) = i { Some(v.clone()) } else { None });
    let video = video.expect("AVC sequence header");
    assert_eq!((video.width, video.height, video.codec.as_str()), (640, 360, "avc1.64001E"));
    let audio = seen
        .items
        .iter()
        .find_map(|i| if let MediaItem::AudioConfig(a) = i { Some(a.clone()) } else { None });
    assert_eq!(audio.map(|a| (a.sample_rate, a.channels)), Some((48000, 1)));
    assert!(seen.items.iter().any(MediaItem::is_video_keyframe), "the first keyframe");
}

#[tokio::test]
async fn every_prefix_of_the_recording_ends_cleanly() {
    // Cut the recording at many points (mid-handshake, mid-command, mid-frame): no panic, and the
    // session ends as soon as the bytes stop.
    for cut in (0..FFMPEG.len()).step_by(997) {
        let handler = Handler(Arc::default(), tokio::sync::watch::channel(false).0);
        let (mut client, server) = tokio::io::duplex(1 << 20);
        let cfg = SessionConfig { secure: false, peer: None, limits: Limits::default() };
        let session = tokio::spawn(async move { run_session(server, &handler, &cfg).await });
        client.write_all(&FFMPEG[..cut]).await.unwrap();
        client.shutdown().await.unwrap();
        let mut sink = Vec::new();
        let _ = client.read_to_end(&mut sink).await;
        let outcome = session.await.expect("no panic");
        assert!(
            matches!(outcome, Outcome::Closed(_) | Outcome::Ended(EndReason::Disconnected)),
            "cut {cut}: {outcome:?}"
        );
    }
}
