//! The command sequences of librtmp-based encoders and of OBS Studio, replayed into an ingest session
//! whole and cut into small reads. Both fixtures carry the same 2 s of media (320x180 H.264 High at
//! 15 fps with a keyframe a second, mono 48 kHz AAC; made by tools/make_fixtures.sh with ffmpeg):
//!
//! - `librtmp-2.4-publish.bin` is **recorded**: Debian's librtmp 2.4 (`librtmp1`), driven by
//!   tools/librtmp_publish.c the way OBS drives its copy (RTMP_Write, one FLV tag a call), publishing
//!   through a recording proxy to nginx-rtmp. Stock librtmp: `connect` with app, type and tcUrl;
//!   releaseStream, FCPublish, createStream, publish; `@setDataFrame` put before the FLV's own
//!   onMetaData (ffmpeg's); all media on chunk stream 4 with 128-byte chunks and type 1/2/3 headers;
//!   FCUnpublish and deleteStream at the end.
//! - `obs-30-publish.bin` is **reconstructed**, since OBS cannot run here: tools/rtmp_script.py writes
//!   OBS 30's sequence as its source gives it (Set Chunk Size 4096 before `connect`; flashVer
//!   `FMLE/3.0 (compatible; FMSc/1.0)` and swfUrl = tcUrl; OBS's own onMetaData with its 20 fields and
//!   `encoder`; the AAC sequence header before the AVC one). Its chunking is checked against the
//!   recording: in librtmp mode the script reproduces the recorded bytes after the handshake exactly.
//!
//! What the counts below are: ffprobe on the source FLV finds 30 video frames (2 keyframes, the last at
//! 1933 ms) and 95 AAC frames (112 ms to 2117 ms).

use openivs_media::ingest::{
    Authorized, EndReason, IngestHandler, MediaSink, PublishRequest, Refusal, StreamMetadata,
};
use openivs_media::rtmp::{Limits, Outcome, SessionConfig, run_session};
use openivs_media::{MediaItem, Track};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const LIBRTMP: &[u8] = include_bytes!("fixtures/librtmp-2.4-publish.bin");
const OBS: &[u8] = include_bytes!("fixtures/obs-30-publish.bin");
const KEY: &str = "sk_us-west-2_FixtureKey01_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

#[derive(Default)]
struct Seen {
    items: Vec<MediaItem>,
    meta: Option<StreamMetadata>,
    key: Option<String>,
    ended: Option<EndReason>,
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
    fn end(self: Box<Self>, reason: EndReason) {
        self.0.lock().unwrap().ended = Some(reason);
    }
}

#[async_trait::async_trait]
impl IngestHandler for Handler {
    async fn authorize(&self, r: PublishRequest) -> Result<Authorized, Refusal> {
        self.0.lock().unwrap().key = Some(r.stream_key);
        Ok(Authorized { sink: Box::new(Sink(self.0.clone())), stop: self.1.subscribe() })
    }
}

/// Replays `bytes` in writes of `piece` bytes; returns the outcome, what the sink saw and the replies.
async fn replay(bytes: &'static [u8], piece: usize) -> (Outcome, Seen, String) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let handler = Handler(seen.clone(), tokio::sync::watch::channel(false).0);
    let (client, server) = tokio::io::duplex(64 << 10);
    let cfg = SessionConfig { secure: false, peer: None, limits: Limits::default() };
    let session = tokio::spawn(async move { run_session(server, &handler, &cfg).await });
    let (mut rd, mut wr) = tokio::io::split(client);
    let reader = tokio::spawn(async move {
        let mut replies = Vec::new();
        let _ = rd.read_to_end(&mut replies).await;
        String::from_utf8_lossy(&replies).into_owned()
    });
    for p in bytes.chunks(piece) {
        // The session closes once the encoder unpublishes; what follows has nowhere to go.
        if wr.write_all(p).await.is_err() {
            break;
        }
    }
    let _ = wr.shutdown().await;
    let outcome = session.await.expect("no panic");
    drop(wr);
    let replies = reader.await.unwrap();
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    (outcome, seen, replies)
}

fn frames(seen: &Seen, track: Track) -> Vec<(i64, bool)> {
    seen.items
        .iter()
        .filter_map(|i| match i {
            MediaItem::Frame(f) if f.track == track => Some((f.dts, f.keyframe)),
            _ => None,
        })
        .collect()
}

/// What both encoders' streams must have delivered.
fn check_common(name: &str, piece: usize, (outcome, seen, replies): &(Outcome, Seen, String)) {
    let at = format!("{name}, pieces of {piece}");
    assert_eq!(*outcome, Outcome::Ended(EndReason::Unpublished), "{at}: FCUnpublish/deleteStream");
    assert_eq!(seen.ended, Some(EndReason::Unpublished), "{at}");
    assert!(replies.contains("NetConnection.Connect.Success"), "{at}: app accepted");
    assert!(replies.contains("NetStream.Publish.Start"), "{at}: publish accepted");
    assert_eq!(seen.key.as_deref(), Some(KEY), "{at}");
    let video =
        seen.items.iter().find_map(|i| if let MediaItem::VideoConfig(v) = i { Some(v) } else { None });
    let video = video.unwrap_or_else(|| panic!("{at}: AVC sequence header"));
    assert_eq!((video.width, video.height, video.profile.as_str()), (320, 180, "High"), "{at}");
    assert!(video.codec.starts_with("avc1.64"), "{at}: {}", video.codec);
    let audio =
        seen.items.iter().find_map(|i| if let MediaItem::AudioConfig(a) = i { Some(a) } else { None });
    let audio = audio.unwrap_or_else(|| panic!("{at}: AAC sequence header"));
    assert_eq!((audio.codec.as_str(), audio.sample_rate, audio.channels), ("mp4a.40.2", 48000, 1), "{at}");
    let v = frames(seen, Track::Video);
    assert_eq!(v.len(), 30, "{at}: video frames");
    assert_eq!(v.iter().filter(|(_, k)| *k).count(), 2, "{at}: keyframes");
    assert_eq!((v[0], v[29].0), ((0, true), 1933), "{at}");
    assert!(v.windows(2).all(|w| w[0].0 < w[1].0), "{at}: video times rise");
    let a = frames(seen, Track::Audio);
    assert_eq!(a.len(), 95, "{at}: audio frames");
    assert_eq!((a[0].0, a[94].0), (112, 2117), "{at}");
    assert!(a.windows(2).all(|w| w[0].0 < w[1].0), "{at}: audio times rise");
    assert_eq!(seen.meta.as_ref().and_then(|m| m.width), Some(320.0), "{at}: declared width");
}

#[tokio::test]
async fn recorded_librtmp_publish_replays_whole_and_in_pieces() {
    for piece in [LIBRTMP.len(), 997, 7] {
        let run = replay(LIBRTMP, piece).await;
        check_common("librtmp", piece, &run);
        let encoder = run.1.meta.as_ref().and_then(|m| m.encoder.clone());
        assert!(encoder.is_some_and(|e| e.starts_with("Lavf")), "ffmpeg's onMetaData, passed through");
    }
}

#[tokio::test]
async fn reconstructed_obs_publish_replays_whole_and_in_pieces() {
    for piece in [OBS.len(), 997, 7] {
        let run = replay(OBS, piece).await;
        check_common("OBS", piece, &run);
        let (_, seen, _) = &run;
        let meta = seen.meta.as_ref().expect("onMetaData");
        assert_eq!(meta.encoder.as_deref(), Some("obs-output module (libobs version 30.2.3)"));
        assert_eq!((meta.height, meta.frame_rate, meta.video_kbps), (Some(180.0), Some(30.0), Some(2500.0)));
        assert_eq!(meta.audio_kbps, Some(160.0));
        // OBS sends the audio sequence header first.
        assert!(matches!(seen.items[0], MediaItem::AudioConfig(_)), "{:?}", seen.items[0]);
        assert!(matches!(seen.items[1], MediaItem::VideoConfig(_)), "{:?}", seen.items[1]);
    }
}

#[tokio::test]
async fn the_obs_sequence_sets_its_chunk_size_before_connect() {
    // Set Chunk Size (type 1) on chunk stream 2 right after the handshake, with 4096.
    assert_eq!(&OBS[3073..3073 + 16], &[2, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0x10, 0]);
    // connect follows, in one 4096-byte chunk, naming OBS's flashVer.
    let connect = &OBS[3089..3089 + 400];
    let text = String::from_utf8_lossy(connect);
    assert!(text.contains("FMLE/3.0 (compatible; FMSc/1.0)") && text.contains("swfUrl"), "{text}");
}
