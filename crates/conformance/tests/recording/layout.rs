//! A recording in the embedded default (a folder per bucket under the data dir): IVS's layout, the
//! JSON files, playable playlists, metadata in the segments, events in the session; and the
//! reconnect window merging two streams into one recording.

use crate::{
    Publisher, dir, finished_recordings, recorded_channel, recording_configuration,
    recording_configuration_with, settled, tools_available, wait_live,
};
use aws_sdk_ivs::types::{
    RecordingConfigurationState, RecordingMode, ThumbnailConfiguration, ThumbnailConfigurationResolution,
    ThumbnailConfigurationStorage,
};
use conformance::Server;
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// What a finished single-rendition recording of ffmpeg's 640x360 stream must hold; returns the
/// recorded duration in ms.
pub fn check_recording(bucket: &Path, prefix: &str, channel_arn: &str, min_ms: i64, max_ms: i64) -> i64 {
    // The prefix: ivs/v1/<account>/<channel id>/<year>/<month>/<day>/<hour>/<minute>/<recording id>,
    // unpadded numbers.
    let parts: Vec<&str> = prefix.split('/').collect();
    assert_eq!(parts.len(), 10, "{prefix}");
    for n in &parts[4..9] {
        let v: u32 = n.parse().unwrap_or_else(|_| panic!("{prefix}: {n} is not a number"));
        assert_eq!(v.to_string(), *n, "{prefix}: not zero-padded");
    }
    assert!(parts[9].len() == 12 && parts[9].chars().all(|c| c.is_ascii_alphanumeric()), "{prefix}");
    let root = dir(bucket, prefix);
    let read = |k: &str| std::fs::read(root.join(k)).unwrap_or_else(|e| panic!("{prefix}/{k}: {e}"));
    assert_eq!(read("events/ivs-check"), b"", "an empty check object");

    let ended_text = String::from_utf8(read("events/recording-ended.json")).unwrap();
    assert!(
        ended_text.starts_with(r#"{"version":"v1","recording_started_at":""#) && !ended_text.ends_with('\n'),
        "{ended_text}"
    );
    let ended: Value = serde_json::from_str(&ended_text).unwrap();
    assert_eq!(ended["recording_status"], "RECORDING_ENDED");
    assert_eq!(ended["channel_arn"], channel_arn);
    let duration = ended["media"]["hls"]["duration_ms"].as_i64().unwrap();
    assert!((min_ms..=max_ms).contains(&duration), "duration_ms {duration} not in {min_ms}..={max_ms}");
    let hls = &ended["media"]["hls"];
    assert_eq!((hls["path"].as_str(), hls["playlist"].as_str()), (Some("media/hls"), Some("master.m3u8")));
    assert_eq!(hls["byte_range_playlist"], "byte-range-multivariant.m3u8");
    let r = &hls["renditions"][0];
    assert_eq!(r["path"], "360p30");
    assert_eq!((r["resolution_width"].as_u64(), r["resolution_height"].as_u64()), (Some(640), Some(360)));
    let started: Value = serde_json::from_slice(&read("events/recording-started.json")).unwrap();
    assert_eq!(started["recording_status"], "RECORDING_STARTED");
    assert_eq!(started["recording_started_at"], ended["recording_started_at"]);

    let master = String::from_utf8(read("media/hls/master.m3u8")).unwrap();
    assert!(master.contains("RESOLUTION=640x360,VIDEO=\"360p30\"\n360p30/playlist.m3u8"), "{master}");
    let channel_id = channel_arn.rsplit('/').next().unwrap();
    assert!(
        master.contains(&format!("DATA-ID=\"net.live-video.content.id\",VALUE=\"{channel_id}\"")),
        "{master}"
    );
    let br_master = String::from_utf8(read("media/hls/byte-range-multivariant.m3u8")).unwrap();
    assert_eq!(br_master, master.replace("360p30/playlist.m3u8", "360p30/byte-range-variant.m3u8"));

    let playlist = String::from_utf8(read("media/hls/360p30/playlist.m3u8")).unwrap();
    assert!(
        playlist.contains("#EXT-X-PLAYLIST-TYPE:EVENT") && playlist.ends_with("#EXT-X-ENDLIST\n"),
        "{playlist}"
    );
    let total: f64 = playlist
        .lines()
        .find_map(|l| l.strip_prefix("#EXT-X-TWITCH-TOTAL-SECS:"))
        .and_then(|v| v.parse().ok())
        .expect("TWITCH-TOTAL-SECS");
    assert_eq!((total * 1000.0).round() as i64, duration, "playlist total = duration_ms");
    let segments: Vec<&str> = playlist.lines().filter(|l| l.ends_with(".ts")).collect();
    for (i, seg) in segments.iter().enumerate() {
        let data = read(&format!("media/hls/360p30/{seg}"));
        assert!(!data.is_empty() && data.len() % 188 == 0, "{seg}: whole TS packets");
        if i + 1 < segments.len() {
            // Full segments are about 10 s (cut at the keyframe at or after 10 s).
            let extinf = segment_durations(&playlist)[i];
            assert!((9.9..=12.5).contains(&extinf), "{seg}: {extinf} s");
        }
    }
    // Thumbnails: JPEGs in media/thumbnails from thumb0, named in the JSON files.
    assert_eq!(ended["media"]["thumbnails"]["path"], "media/thumbnails");
    let thumb0 = root.join("media/thumbnails/thumb0.jpg");
    let jpeg = std::fs::read(&thumb0).unwrap_or_else(|e| panic!("{}: {e}", thumb0.display()));
    assert!(jpeg.starts_with(&[0xff, 0xd8]) && jpeg.ends_with(&[0xff, 0xd9]), "a JPEG");
    let w = ended["media"]["thumbnails"]["resolution_width"].as_u64().unwrap();
    let h = ended["media"]["thumbnails"]["resolution_height"].as_u64().unwrap();
    assert_eq!(image_size(&thumb0), (w, h), "the JSON says the thumbnails' size");
    let ranges = String::from_utf8(read("media/hls/360p30/byte-range-variant.m3u8")).unwrap();
    assert!(ranges.contains("#EXT-X-VERSION:4") && ranges.ends_with("#EXT-X-ENDLIST\n"), "{ranges}");
    assert!(ranges.matches("#EXT-X-BYTERANGE:").count() > segments.len(), "sub-ranges of about a second");

    // Players play both playlists for the whole recording.
    for name in ["master.m3u8", "byte-range-multivariant.m3u8"] {
        let path = root.join("media/hls").join(name);
        let played = played_seconds(&path);
        let want = duration as f64 / 1000.0;
        assert!((played - want).abs() < 1.5, "{name}: ffmpeg played {played} s of {want} s");
    }
    duration
}

/// Width and height of an image, as ffprobe decodes it.
pub fn image_size(path: &Path) -> (u64, u64) {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .expect("ffprobe");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text.trim().split(',').map(|v| v.parse::<u64>().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

/// EXTINF values of a media playlist.
fn segment_durations(playlist: &str) -> Vec<f64> {
    playlist
        .lines()
        .filter_map(|l| l.strip_prefix("#EXTINF:"))
        .filter_map(|v| v.trim_end_matches(',').parse().ok())
        .collect()
}

/// How many seconds of video ffmpeg decodes from a playlist file (the last frame's time), checking
/// it is ffmpeg's 640x360 H.264 with AAC audio.
pub fn played_seconds(path: &Path) -> f64 {
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .expect("ffprobe");
    let streams = String::from_utf8_lossy(&probe.stdout);
    assert!(probe.status.success(), "{}: {}", path.display(), String::from_utf8_lossy(&probe.stderr));
    assert!(streams.contains("h264,640,360") && streams.contains("aac"), "{}: {streams}", path.display());
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-allowed_extensions", "ALL", "-i"])
        .arg(path)
        .args(["-map", "0:v:0", "-f", "null", "-progress", "pipe:1", "-"])
        .output()
        .expect("ffmpeg");
    assert!(out.status.success(), "{}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let us: i64 = text
        .lines()
        .filter_map(|l| l.strip_prefix("out_time_us="))
        .filter_map(|v| v.trim().parse().ok())
        .next_back()
        .unwrap_or(0);
    us as f64 / 1e6
}

/// The names of a session's events, newest first.
pub async fn session_events(c: &aws_sdk_ivs::Client, arn: &str, stream_id: &str) -> Vec<String> {
    let out = c.get_stream_session().channel_arn(arn).stream_id(stream_id).send().await.unwrap();
    let s = out.stream_session().unwrap();
    s.truncated_events().iter().filter_map(|e| e.name().map(str::to_string)).collect()
}

#[tokio::test]
async fn a_stream_is_recorded_in_ivs_layout_in_the_embedded_default() {
    if !tools_available(&["ffmpeg", "ffprobe"]) {
        return;
    }
    let s = Server::start();
    let c = s.client();
    // A name the model's pattern lets through but S3 refuses: the probe fails.
    let (bad, _) = recording_configuration(&c, "bad..name", 0).await;
    assert_eq!(settled(&c, &bad).await, RecordingConfigurationState::CreateFailed);
    let thumbnails = ThumbnailConfiguration::builder()
        .recording_mode(RecordingMode::Interval)
        .target_interval_seconds(5)
        .resolution(ThumbnailConfigurationResolution::LowestResolution)
        .storage(ThumbnailConfigurationStorage::Sequential)
        .storage(ThumbnailConfigurationStorage::Latest)
        .build();
    let (config, state) = recording_configuration_with(&c, "recordings", 0, Some(thumbnails)).await;
    assert_eq!(state, RecordingConfigurationState::Creating, "IVS answers CREATING first");
    assert_eq!(settled(&c, &config).await, RecordingConfigurationState::Active);
    let (arn, channel_id, key) = recorded_channel(&c, &config).await;
    let mut ff = Publisher::with_gop(&format!("{}/app/{key}", s.rtmps_url), 24, 30);
    let stream_id = wait_live(&c, &arn).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    c.put_metadata().channel_arn(&arn).metadata("recorded-cue-7").send().await.expect("PutMetadata");
    assert_eq!(ff.wait(Duration::from_secs(40)).await, Some(true), "ffmpeg published");

    let bucket = s.data_dir.join("buckets/recordings");
    let done = finished_recordings(&bucket, &channel_id, 1, Duration::from_secs(30)).await;
    assert_eq!(done.len(), 1, "one recording: {done:?}");
    check_recording(&bucket, &done[0], &arn, 21_000, 25_500);
    // Every 5 s for 24 s, at IVS's 160p size; the latest one beside them.
    let root = dir(&bucket, &done[0]);
    let thumbs = conformance::s3::keys(&root.join("media/thumbnails"));
    assert!((4..=6).contains(&thumbs.len()), "{thumbs:?}");
    assert!(thumbs.iter().all(|t| t.starts_with("thumb") && t.ends_with(".jpg")), "{thumbs:?}");
    assert_eq!(image_size(&root.join("media/thumbnails/thumb1.jpg")), (284, 160));
    assert_eq!(image_size(&root.join("media/latest_thumbnail/thumb.jpg")), (284, 160));
    let ended: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("events/recording-ended.json")).unwrap())
            .unwrap();
    assert_eq!(ended["media"]["latest_thumbnail"]["path"], "media/latest_thumbnail/thumb.jpg");
    assert_eq!(ended["media"]["latest_thumbnail"]["resolution_height"], 160);
    // The cue put while recording is in a segment, as an ID3 frame on the metadata PID.
    let media = dir(&bucket, &done[0]).join("media/hls/360p30");
    let found = conformance::s3::keys(&media)
        .iter()
        .filter(|k| k.ends_with(".ts"))
        .any(|k| std::fs::read(media.join(k)).unwrap().windows(14).any(|w| w == b"recorded-cue-7"));
    assert!(found, "the PutMetadata payload is in the recorded segments");
    let events = session_events(&c, &arn, &stream_id).await;
    for want in ["Recording Start", "Recording End"] {
        assert!(events.iter().any(|e| e == want), "{want} in {events:?}");
    }
}

#[tokio::test]
async fn a_reconnect_within_the_window_continues_the_recording_and_a_later_one_starts_another() {
    if !tools_available(&["ffmpeg", "ffprobe"]) {
        return;
    }
    let s = Server::start();
    let c = s.client();
    let (config, _) = recording_configuration(&c, "merged", 6).await;
    let (arn, channel_id, key) = recorded_channel(&c, &config).await;
    let url = format!("{}/app/{key}", s.rtmps_url);
    let bucket = s.data_dir.join("buckets/merged");
    let mut first_ids = Vec::new();
    for _ in 0..2 {
        let mut ff = Publisher::with_gop(&url, 5, 30);
        first_ids.push(wait_live(&c, &arn).await);
        assert_eq!(ff.wait(Duration::from_secs(20)).await, Some(true));
        // Offline, then back within the 6 s window.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    // Nothing has ended yet: the window is still open after the second stream.
    assert!(finished_recordings(&bucket, &channel_id, 1, Duration::ZERO).await.is_empty());
    let done = finished_recordings(&bucket, &channel_id, 1, Duration::from_secs(30)).await;
    assert_eq!(done.len(), 1, "the two streams are one recording: {done:?}");
    let root = dir(&bucket, &done[0]);
    let playlist = std::fs::read_to_string(root.join("media/hls/360p30/playlist.m3u8")).unwrap();
    assert_eq!(playlist.matches("#EXT-X-DISCONTINUITY\n").count(), 1, "{playlist}");
    let ranges = std::fs::read_to_string(root.join("media/hls/360p30/byte-range-variant.m3u8")).unwrap();
    assert_eq!(ranges.matches("#EXT-X-DISCONTINUITY\n").count(), 1, "{ranges}");
    let ended: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("events/recording-ended.json")).unwrap())
            .unwrap();
    let ms = ended["media"]["hls"]["duration_ms"].as_i64().unwrap();
    assert!((8_000..=11_000).contains(&ms), "two 5 s streams: {ms} ms");
    let played = played_seconds(&root.join("media/hls/master.m3u8"));
    assert!(played > 8.0, "both streams play: {played} s");
    // The second stream's session carries the end; the first's the start.
    assert!(session_events(&c, &arn, &first_ids[0]).await.iter().any(|e| e == "Recording Start"));
    assert!(session_events(&c, &arn, &first_ids[1]).await.iter().any(|e| e == "Recording End"));

    // A stream after the window is a recording of its own.
    let mut ff = Publisher::with_gop(&url, 4, 30);
    wait_live(&c, &arn).await;
    assert_eq!(ff.wait(Duration::from_secs(20)).await, Some(true));
    let done = finished_recordings(&bucket, &channel_id, 2, Duration::from_secs(30)).await;
    assert_eq!(done.len(), 2, "{done:?}");
}

#[tokio::test]
async fn a_recording_cut_by_kill_9_ends_with_a_failed_file_after_restart() {
    if !tools_available(&["ffmpeg", "ffprobe"]) {
        return;
    }
    let mut s = Server::start();
    let c = s.client();
    let (config, _) = recording_configuration(&c, "crashes", 0).await;
    let (arn, channel_id, key) = recorded_channel(&c, &config).await;
    let _ff = Publisher::with_gop(&format!("{}/app/{key}", s.rtmps_url), 30, 30);
    let stream_id = wait_live(&c, &arn).await;
    // Past the first segment (10 s), so there is media to account for.
    tokio::time::sleep(Duration::from_secs(13)).await;
    s.kill9_and_restart();
    let c = s.client();
    let bucket = s.data_dir.join("buckets/crashes");
    let done = finished_recordings(&bucket, &channel_id, 1, Duration::from_secs(20)).await;
    assert_eq!(done.len(), 1, "{done:?}");
    let root = dir(&bucket, &done[0]);
    assert!(!root.join("events/recording-ended.json").exists());
    let failed: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("events/recording-failed.json")).unwrap())
            .unwrap();
    assert_eq!(failed["recording_status"], "RECORDING_ENDED_WITH_FAILURE");
    assert_eq!(failed["recording_status_message"], "InternalServerException");
    assert!(failed["media"]["hls"]["duration_ms"].as_i64().unwrap() >= 9_000, "{failed}");
    assert_eq!(failed["media"]["hls"]["renditions"][0]["path"], "360p30");
    // What was written before the kill plays.
    assert!(played_seconds(&root.join("media/hls/master.m3u8")) >= 9.0);
    let events = session_events(&c, &arn, &stream_id).await;
    assert!(events.iter().any(|e| e == "Recording End Failure"), "{events:?}");
}

#[tokio::test]
async fn a_clean_shutdown_ends_recordings_without_waiting_out_their_window() {
    if !tools_available(&["ffmpeg", "ffprobe"]) {
        return;
    }
    let mut s = Server::start();
    let c = s.client();
    // A long window: only the shutdown ends this recording.
    let (config, _) = recording_configuration(&c, "stops", 300).await;
    let (arn, channel_id, key) = recorded_channel(&c, &config).await;
    let _ff = Publisher::with_gop(&format!("{}/app/{key}", s.rtmps_url), 30, 30);
    wait_live(&c, &arn).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let started = std::time::Instant::now();
    assert!(s.terminate().success(), "a clean exit");
    assert!(started.elapsed() < Duration::from_secs(20), "the window was not waited out");
    let bucket = s.data_dir.join("buckets/stops");
    let done = finished_recordings(&bucket, &channel_id, 1, Duration::ZERO).await;
    assert_eq!(done.len(), 1, "ended before the server exited: {done:?}");
    check_recording(&bucket, &done[0], &arn, 3_000, 7_500);
}
