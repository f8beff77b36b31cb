//! The segment being written, sent as it grows, and an ended stream's playback kept for its viewers:
//! a live entry fed through its hub, served by `serve::answer` as the router calls it.

use super::super::serve;
use crate::ingest::Registry;
use crate::ingest::registry::LiveEntry;
use crate::store::Scope;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use http_body_util::BodyExt;
use openivs_media::frame::{Frame, MediaItem, Track, VideoConfig};
use openivs_model::{Channel, ChannelLatencyMode};
use std::sync::Arc;
use std::time::Duration;

const ARN: &str = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234";
const NAME: &str = "us-west-2.123456789012.channel.abcdEFGH1234";

fn live(latency: ChannelLatencyMode) -> (Arc<Registry>, Arc<LiveEntry>) {
    let registry = Arc::new(Registry::default());
    let scope = Scope { account: "123456789012".into(), region: "us-west-2".into() };
    let entry = Arc::new(LiveEntry::new(ARN.into(), "st-prefetch".into(), scope, 1));
    assert!(registry.try_insert(entry.clone()));
    let channel = Channel { latency_mode: Some(latency), ..Default::default() };
    super::super::live::start(&entry, &channel);
    entry.hub.publish(MediaItem::VideoConfig(Arc::new(VideoConfig {
        codec: "avc1.64001F".into(),
        profile: "High".into(),
        level: "3.1".into(),
        width: 640,
        height: 360,
        frame_rate: None,
        record: Bytes::from_static(&[
            1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 3, 0x67, 0x64, 0x1f, 1, 0, 2, 0x68, 0xee,
        ]),
    })));
    (registry, entry)
}

/// Publishes video frames `from..to` (30 fps, a keyframe every second).
fn frames(entry: &LiveEntry, from: i64, to: i64) {
    for i in from..to {
        let keyframe = i % 30 == 0;
        let nal: &'static [u8] = if keyframe { &[0, 0, 0, 2, 0x65, 0x88] } else { &[0, 0, 0, 2, 0x41, 0x9a] };
        let dts = i * 1000 / 30;
        entry.hub.publish(MediaItem::Frame(Frame {
            track: Track::Video,
            pts: dts,
            dts,
            keyframe,
            data: Bytes::from_static(nal),
        }));
    }
}

async fn get(registry: &Registry, path: &str) -> axum::response::Response {
    serve::answer(registry, path, "", &HeaderMap::new(), "").await
}

async fn text(registry: &Registry, path: &str) -> (StatusCode, String) {
    let r = get(registry, path).await;
    let status = r.status();
    let body = r.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Waits until the media playlist contains `needle`; the playlist.
async fn playlist_with(registry: &Registry, needle: &str) -> String {
    for _ in 0..200 {
        let (status, body) = text(registry, &format!("{NAME}/st-prefetch/media.m3u8")).await;
        if status == StatusCode::OK && body.contains(needle) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the playlist never contained {needle}");
}

#[tokio::test]
async fn the_segment_being_written_is_sent_as_it_grows_and_ends_as_the_segment() {
    let (registry, entry) = live(ChannelLatencyMode::Low);
    // Segment 0 (0-2 s) closes at the keyframe at 2 s; segment 1 gets its first parts.
    frames(&entry, 0, 75);
    let playlist = playlist_with(&registry, "#EXT-X-PREFETCH:1.ts").await;
    assert!(playlist.contains("#EXTINF:2.000,\n0.ts\n"), "{playlist}");
    assert_eq!(playlist.matches("#EXT-X-PREFETCH:").count(), 1, "only the segment being written: {playlist}");

    let mut body = get(&registry, &format!("{NAME}/st-prefetch/1.ts")).await.into_body();
    // What exists of segment 1 comes at once, before the segment is finished.
    let first = tokio::time::timeout(Duration::from_secs(5), body.frame())
        .await
        .expect("the written parts at once")
        .expect("a frame")
        .expect("data");
    let mut got = first.into_data().expect("data").to_vec();
    assert!(!got.is_empty() && got.len() % 188 == 0, "whole TS packets: {}", got.len());
    // The rest comes as it is written; the body ends when the segment closes.
    frames(&entry, 75, 130);
    while let Some(frame) =
        tokio::time::timeout(Duration::from_secs(5), body.frame()).await.expect("progress")
    {
        got.extend_from_slice(&frame.expect("no transfer error").into_data().expect("data"));
    }
    let (status, whole) = {
        let r = get(&registry, &format!("{NAME}/st-prefetch/1.ts")).await;
        (r.status(), r.into_body().collect().await.unwrap().to_bytes())
    };
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, whole.to_vec(), "what was prefetched is the segment the playlist lists");
    // A segment further ahead is not promised: 404 at once.
    assert_eq!(get(&registry, &format!("{NAME}/st-prefetch/9.ts")).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn normal_latency_playlists_name_no_prefetch_and_do_not_stream_open_segments() {
    let (registry, entry) = live(ChannelLatencyMode::Normal);
    frames(&entry, 0, 200);
    let playlist = playlist_with(&registry, "0.ts").await;
    assert!(!playlist.contains("PREFETCH"), "{playlist}");
    assert_eq!(get(&registry, &format!("{NAME}/st-prefetch/1.ts")).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_ended_stream_stays_playable_for_its_viewers_but_not_for_new_ones() {
    let (registry, entry) = live(ChannelLatencyMode::Low);
    frames(&entry, 0, 100);
    playlist_with(&registry, "1.ts").await;
    // The encoder goes away: what its sink does at the end.
    registry.remove(&entry);
    entry.hub.close();
    let ended = playlist_with(&registry, "#EXT-X-ENDLIST").await;
    assert!(!ended.contains("PREFETCH") && !ended.contains("PRELOAD-HINT"), "{ended}");
    // Every segment it lists is still there.
    for line in ended.lines().filter(|l| l.ends_with(".ts") && !l.starts_with('#')) {
        assert_eq!(
            get(&registry, &format!("{NAME}/st-prefetch/{line}")).await.status(),
            StatusCode::OK,
            "{line}"
        );
    }
    // The channel itself is offline: a new viewer is told so.
    assert_eq!(get(&registry, &format!("{NAME}.m3u8")).await.status(), StatusCode::NOT_FOUND);
    // Another channel's stream of the same id is not this one.
    let other = "us-west-2.123456789012.channel.zzzzEFGH1234/st-prefetch/media.m3u8";
    assert_eq!(get(&registry, other).await.status(), StatusCode::NOT_FOUND);
}
