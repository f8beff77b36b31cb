//! A recording's thumbnails (ivs-recording-events.md §1.6, §4 `thumbnailConfiguration`): with
//! `recordingMode` INTERVAL, a JPEG of the first video keyframe at or after every
//! `targetIntervalSeconds`, decoded with OpenH264 (`openivs_media::thumbnail`), written as
//! `media/thumbnails/thumb<N>.jpg` (SEQUENTIAL, N from 0) and/or over
//! `media/latest_thumbnail/thumb.jpg` (LATEST).
//!
//! `resolution` names a rendition; a channel has one rendition today, the source, so IVS's rule (a
//! rendition that is not there means the source size) would ignore the setting entirely. Instead the
//! picture is scaled down to the height IVS's rendition of that band has (LOWEST_RESOLUTION 160,
//! SD 480, HD 720, FULL_HD 1080), never up: what someone asking for small thumbnails wants.

use super::files::ThumbnailFiles;
use bytes::Bytes;
use openivs_media::thumbnail::{Thumbnailer, target_size};
use openivs_media::{MediaItem, Track, VideoConfig};
use openivs_model::{
    RecordingMode, ThumbnailConfiguration, ThumbnailConfigurationResolution, ThumbnailConfigurationStorage,
};
use std::sync::Arc;

/// One object to write: its key under the prefix, its bytes, and whether it replaces a version.
pub type Object = (String, Bytes, bool);

/// The thumbnail side of a recording.
pub struct Thumbnails {
    every_ms: i64,
    sequential: bool,
    latest: bool,
    max_height: Option<u32>,
    next: u64,
    last_ms: Option<i64>,
    video: Option<Arc<VideoConfig>>,
    decoder: Option<Thumbnailer>,
    /// Failures logged (one line per recording; the rest are counted).
    failures: u64,
}

impl Thumbnails {
    /// The thumbnails a configuration asks for; `None` when DISABLED (or no storage is named).
    pub fn new(c: Option<&ThumbnailConfiguration>) -> Option<Self> {
        let c = c.cloned().unwrap_or_default();
        if c.recording_mode == Some(RecordingMode::Disabled) {
            return None;
        }
        let storage = c.storage.unwrap_or_else(|| vec![ThumbnailConfigurationStorage::Sequential]);
        let sequential = storage.contains(&ThumbnailConfigurationStorage::Sequential);
        let latest = storage.contains(&ThumbnailConfigurationStorage::Latest);
        if !sequential && !latest {
            return None;
        }
        let max_height = match c.resolution {
            Some(ThumbnailConfigurationResolution::LowestResolution) => Some(160),
            Some(ThumbnailConfigurationResolution::Sd) => Some(480),
            Some(ThumbnailConfigurationResolution::Hd) => Some(720),
            Some(ThumbnailConfigurationResolution::FullHd) => Some(1080),
            _ => None,
        };
        Some(Thumbnails {
            every_ms: c.target_interval_seconds.unwrap_or(60).clamp(1, 60) * 1000,
            sequential,
            latest,
            max_height,
            next: 0,
            last_ms: None,
            video: None,
            decoder: None,
            failures: 0,
        })
    }

    /// How the JSON files describe them, for a source of this size (if known).
    pub fn files(&self, source: Option<(u32, u32)>) -> ThumbnailFiles {
        ThumbnailFiles {
            sequential: self.sequential,
            latest: self.latest,
            resolution: source.map(|(w, h)| target_size(w, h, self.max_height)),
        }
    }

    /// Thumbnails due at this item (arrived at `wall_ms`), as objects to write.
    pub async fn on_item(&mut self, item: &MediaItem, wall_ms: i64) -> Vec<Object> {
        let frame = match item {
            MediaItem::VideoConfig(v) => {
                self.video = Some(v.clone());
                return Vec::new();
            }
            MediaItem::Frame(f) if f.track == Track::Video && f.keyframe => f,
            _ => return Vec::new(),
        };
        if self.last_ms.is_some_and(|last| wall_ms - last < self.every_ms) {
            return Vec::new();
        }
        let Some(video) = self.video.clone().filter(|v| v.codec.starts_with("avc1")) else {
            return Vec::new();
        };
        let decoder = match self.decoder.take() {
            Some(d) => d,
            None => match Thumbnailer::new() {
                Ok(d) => d,
                Err(e) => return self.failed(&e.to_string()),
            },
        };
        let (data, max_height) = (frame.data.clone(), self.max_height);
        // Decoding and encoding take milliseconds of CPU: off the async workers.
        let done = tokio::task::spawn_blocking(move || {
            let mut decoder = decoder;
            let out = decoder.jpeg(&video.record, &data, max_height);
            (decoder, out)
        })
        .await;
        let jpeg = match done {
            Ok((decoder, out)) => {
                self.decoder = Some(decoder);
                match out {
                    Ok((jpeg, _, _)) => Bytes::from(jpeg),
                    Err(e) => return self.failed(&e.to_string()),
                }
            }
            Err(e) => return self.failed(&e.to_string()),
        };
        self.last_ms = Some(wall_ms);
        let mut out = Vec::new();
        if self.sequential {
            out.push((format!("media/thumbnails/thumb{}.jpg", self.next), jpeg.clone(), false));
            self.next += 1;
        }
        if self.latest {
            out.push(("media/latest_thumbnail/thumb.jpg".to_string(), jpeg, true));
        }
        out
    }

    fn failed(&mut self, why: &str) -> Vec<Object> {
        self.failures += 1;
        if self.failures == 1 {
            tracing::warn!(
                error = why,
                "a recording thumbnail could not be made (later failures of this recording are not logged)"
            );
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_or_storageless_configurations_make_none() {
        let disabled =
            ThumbnailConfiguration { recording_mode: Some(RecordingMode::Disabled), ..Default::default() };
        assert!(Thumbnails::new(Some(&disabled)).is_none());
        let none = ThumbnailConfiguration { storage: Some(vec![]), ..Default::default() };
        assert!(Thumbnails::new(Some(&none)).is_none());
        // IVS's defaults: every 60 s, SEQUENTIAL, the source's size.
        let t = Thumbnails::new(None).unwrap();
        assert_eq!((t.every_ms, t.sequential, t.latest, t.max_height), (60_000, true, false, None));
        let files = t.files(Some((1280, 720)));
        assert_eq!(files.resolution, Some((1280, 720)));
        let small = ThumbnailConfiguration {
            resolution: Some(ThumbnailConfigurationResolution::LowestResolution),
            storage: Some(vec![ThumbnailConfigurationStorage::Latest]),
            target_interval_seconds: Some(5),
            ..Default::default()
        };
        let t = Thumbnails::new(Some(&small)).unwrap();
        assert_eq!((t.every_ms, t.sequential, t.latest), (5_000, false, true));
        assert_eq!(t.files(Some((1280, 720))).resolution, Some((284, 160)));
    }
}
