//! Where a recording goes and the JSON files that describe it, as Amazon IVS writes them
//! (ivs-recording-events.md §1.1, §1.3, §2; the real recording in `ivs-recording-sample/`): the key
//! prefix `ivs/v1/<account>/<channel id>/<year>/<month>/<day>/<hour>/<minute>/<recording id>` (UTC, no
//! zero padding, no leading slash) and `events/recording-{started,ended,failed}.json`, compact, with no
//! trailing newline and the keys in the real files' order. Pure.

use serde::Serialize;
use time::OffsetDateTime;

/// `media.hls.path`, relative to the prefix.
pub const HLS_PATH: &str = "media/hls";
/// The multivariant playlist's name.
pub const MASTER: &str = "master.m3u8";
/// The byte-range multivariant playlist's name.
pub const BYTE_RANGE_MASTER: &str = "byte-range-multivariant.m3u8";
/// A rendition's media playlist.
pub const PLAYLIST: &str = "playlist.m3u8";
/// A rendition's byte-range playlist.
pub const BYTE_RANGE_PLAYLIST: &str = "byte-range-variant.m3u8";

/// The key prefix of a recording that started at `started_ms` (Unix ms): the start's UTC minute,
/// unpadded, as the real keys are (`…/2023/2/9/22/55/Pd8MyZnzUAFl`).
pub fn prefix(account: &str, channel_id: &str, started_ms: i64, recording_id: &str) -> String {
    let t = utc(started_ms);
    format!(
        "ivs/v1/{account}/{channel_id}/{}/{}/{}/{}/{}/{recording_id}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

fn utc(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `2023-02-09T22:55:41Z`: RFC 3339 in whole seconds, as the JSON files and events write times.
pub fn seconds_utc(ms: i64) -> String {
    let t = utc(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A rendition as the JSON files list it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenditionFile {
    /// Folder under `media/hls`, e.g. `720p30`.
    pub path: String,
    /// Width and height, when the rendition has video.
    pub resolution: Option<(u32, u32)>,
}

/// How a recording stands in its JSON file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// `recording-started.json`.
    Started,
    /// `recording-ended.json`: ended at this time (ms) with this much media (Σ EXTINF, ms).
    Ended { at_ms: i64, duration_ms: i64 },
    /// `recording-failed.json`, with the reason (an exception name, as IVS writes).
    Failed { at_ms: i64, duration_ms: i64, message: String },
}

impl Status {
    /// The file's key under the prefix.
    pub fn key(&self) -> &'static str {
        match self {
            Status::Started => "events/recording-started.json",
            Status::Ended { .. } => "events/recording-ended.json",
            Status::Failed { .. } => "events/recording-failed.json",
        }
    }
}

/// Where thumbnails are, when the recording writes them (`media.thumbnails` / `media.latest_thumbnail`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThumbnailFiles {
    /// `SEQUENTIAL` storage: `media/thumbnails`.
    pub sequential: bool,
    /// `LATEST` storage: `media/latest_thumbnail/thumb.jpg`.
    pub latest: bool,
    /// Their size, when known (the real 2023 file has only `path`; the fields came later).
    pub resolution: Option<(u32, u32)>,
}

#[derive(Serialize)]
struct File<'a> {
    version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    recording_ended_at: Option<String>,
    recording_started_at: String,
    channel_arn: &'a str,
    recording_status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    recording_status_message: Option<&'a str>,
    media: Media<'a>,
}

#[derive(Serialize)]
struct Media<'a> {
    hls: Hls<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thumbnails: Option<Thumbs>,
    #[serde(skip_serializing_if = "Option::is_none")]
    latest_thumbnail: Option<Thumbs>,
}

#[derive(Serialize)]
struct Hls<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_ms: Option<i64>,
    path: &'static str,
    playlist: &'static str,
    byte_range_playlist: &'static str,
    renditions: Vec<Rendition<'a>>,
}

#[derive(Serialize)]
struct Rendition<'a> {
    path: &'a str,
    playlist: &'static str,
    byte_range_playlist: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    resolution_width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resolution_height: Option<u32>,
}

/// The documentation's order (height first), which differs from the renditions' (width first).
#[derive(Serialize)]
struct Thumbs {
    path: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    resolution_height: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resolution_width: Option<u32>,
}

/// The JSON file of a recording in `status`: compact, keys in the real files' order. The real ended
/// file writes `recording_ended_at` after `recording_started_at`; the documentation's examples put it
/// before. The real file wins (consumers parse JSON, but byte-for-byte checks are how we know we match).
/// Renditions are listed highest first, as the ended file and the multivariant playlist list them.
pub fn recording_file(
    channel_arn: &str,
    started_ms: i64,
    status: &Status,
    renditions: &[RenditionFile],
    thumbnails: Option<&ThumbnailFiles>,
) -> String {
    let mut sorted: Vec<&RenditionFile> = renditions.iter().collect();
    sorted.sort_by_key(|r| std::cmp::Reverse(r.resolution.map_or(0, |(_, h)| h)));
    let (ended_at, duration, message, name) = match status {
        Status::Started => (None, None, None, "RECORDING_STARTED"),
        Status::Ended { at_ms, duration_ms } => (Some(*at_ms), Some(*duration_ms), None, "RECORDING_ENDED"),
        Status::Failed { at_ms, duration_ms, message } => {
            (Some(*at_ms), Some(*duration_ms), Some(message.as_str()), "RECORDING_ENDED_WITH_FAILURE")
        }
    };
    let thumbs = |path: &'static str| Thumbs {
        path,
        resolution_height: thumbnails.and_then(|t| t.resolution).map(|(_, h)| h),
        resolution_width: thumbnails.and_then(|t| t.resolution).map(|(w, _)| w),
    };
    let file = File {
        version: "v1",
        recording_ended_at: None,
        recording_started_at: seconds_utc(started_ms),
        channel_arn,
        recording_status: name,
        recording_status_message: message,
        media: Media {
            hls: Hls {
                duration_ms: duration,
                path: HLS_PATH,
                playlist: MASTER,
                byte_range_playlist: BYTE_RANGE_MASTER,
                renditions: sorted
                    .iter()
                    .map(|r| Rendition {
                        path: &r.path,
                        playlist: PLAYLIST,
                        byte_range_playlist: BYTE_RANGE_PLAYLIST,
                        resolution_width: r.resolution.map(|(w, _)| w),
                        resolution_height: r.resolution.map(|(_, h)| h),
                    })
                    .collect(),
            },
            thumbnails: thumbnails.filter(|t| t.sequential).map(|_| thumbs("media/thumbnails")),
            latest_thumbnail: thumbnails
                .filter(|t| t.latest)
                .map(|_| thumbs("media/latest_thumbnail/thumb.jpg")),
        },
    };
    let mut text = serde_json::to_string(&file).unwrap_or_default();
    if let Some(at) = ended_at {
        // `recording_ended_at` goes right after `recording_started_at` (the real file's order); serde
        // writes fields in declaration order, so it is spliced in here rather than declared twice.
        let started = format!("\"recording_started_at\":\"{}\",", seconds_utc(started_ms));
        let both = format!("{started}\"recording_ended_at\":\"{}\",", seconds_utc(at));
        text = text.replacen(&started, &both, 1);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/spec/ivs-recording-sample/2/9/22/55/Pd8MyZnzUAFl/events/"
    );
    const ARN: &str = "arn:aws:ivs:us-east-1:098435415742:channel/2rrcA103rn67";

    fn sample(name: &str) -> Option<String> {
        std::fs::read_to_string(format!("{SAMPLE}{name}")).ok()
    }

    fn renditions() -> Vec<RenditionFile> {
        [("720p30", 1280, 720), ("480p30", 852, 480), ("360p30", 640, 360), ("160p30", 284, 160)]
            .into_iter()
            .map(|(p, w, h)| RenditionFile { path: p.into(), resolution: Some((w, h)) })
            .collect()
    }

    /// 2023-02-09T22:55:41.550Z, the sample's first segment.
    const STARTED: i64 = 1_675_983_341_550;

    #[test]
    fn the_prefix_is_unpadded_utc() {
        assert_eq!(
            prefix("098435415742", "2rrcA103rn67", STARTED, "Pd8MyZnzUAFl"),
            "ivs/v1/098435415742/2rrcA103rn67/2023/2/9/22/55/Pd8MyZnzUAFl"
        );
        assert_eq!(seconds_utc(STARTED), "2023-02-09T22:55:41Z");
    }

    #[test]
    fn the_ended_file_matches_the_real_one_byte_for_byte() {
        let thumbs = ThumbnailFiles { sequential: true, latest: false, resolution: None };
        let ended = Status::Ended { at_ms: 1_675_983_510_117, duration_ms: 171_546 };
        let ours = recording_file(ARN, STARTED, &ended, &renditions(), Some(&thumbs));
        match sample("recording-ended.json") {
            Some(real) => assert_eq!(ours, real),
            None => eprintln!("skipped: the sample recording is not beside the checkout"),
        }
        // The same structure without the sample: what a consumer reads.
        let v: serde_json::Value = serde_json::from_str(&ours).unwrap();
        assert_eq!(v["recording_ended_at"], "2023-02-09T22:58:30Z");
        assert_eq!(v["media"]["hls"]["duration_ms"], 171_546);
        assert_eq!(v["media"]["hls"]["renditions"][3]["path"], "160p30");
        assert!(!ours.ends_with('\n'));
    }

    #[test]
    fn the_started_file_has_the_real_fields_in_order() {
        let thumbs = ThumbnailFiles { sequential: true, latest: false, resolution: None };
        let ours = recording_file(ARN, STARTED, &Status::Started, &renditions(), Some(&thumbs));
        // IVS listed the started file's renditions unordered (160p30 first); ours are highest first,
        // so compare as JSON with the renditions sorted, and the text up to the renditions exactly.
        if let Some(real) = sample("recording-started.json") {
            let head = |s: &str| s[..s.find("\"renditions\"").unwrap()].to_string();
            assert_eq!(head(&ours), head(&real));
            let sorted = |s: &str| {
                let mut v: serde_json::Value = serde_json::from_str(s).unwrap();
                let list = v["media"]["hls"]["renditions"].as_array_mut().unwrap();
                list.sort_by_key(|r| r["resolution_height"].as_u64());
                v
            };
            assert_eq!(sorted(&ours), sorted(&real));
        }
        assert!(
            ours.starts_with(
                r#"{"version":"v1","recording_started_at":"2023-02-09T22:55:41Z","channel_arn""#
            )
        );
    }

    #[test]
    fn a_failed_file_says_why_and_an_audio_only_rendition_has_no_size() {
        let failed = Status::Failed {
            at_ms: STARTED + 5000,
            duration_ms: 0,
            message: "InternalServerException".into(),
        };
        let audio = [RenditionFile { path: "audio_only".into(), resolution: None }];
        let text = recording_file(ARN, STARTED, &failed, &audio, None);
        assert_eq!(failed.key(), "events/recording-failed.json");
        assert_eq!(
            text,
            concat!(
                r#"{"version":"v1","recording_started_at":"2023-02-09T22:55:41Z","recording_ended_at":"2023-02-09T22:55:46Z","#,
                r#""channel_arn":"arn:aws:ivs:us-east-1:098435415742:channel/2rrcA103rn67","#,
                r#""recording_status":"RECORDING_ENDED_WITH_FAILURE","recording_status_message":"InternalServerException","#,
                r#""media":{"hls":{"duration_ms":0,"path":"media/hls","playlist":"master.m3u8","#,
                r#""byte_range_playlist":"byte-range-multivariant.m3u8","renditions":[{"path":"audio_only","#,
                r#""playlist":"playlist.m3u8","byte_range_playlist":"byte-range-variant.m3u8"}]}}}"#
            )
        );
    }
}
