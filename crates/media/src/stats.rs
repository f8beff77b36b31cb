//! Ingest statistics of one stream: bitrate and frame rate over a short sliding window of wall-clock
//! time (for health: HEALTHY vs STARVING), and whole-stream averages on the publisher's own clock
//! (for the session's ingest configuration: what the encoder really sent, not what its metadata said).
//! Memory is constant: one bucket per second of the window.

use crate::frame::Track;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Length of the sliding window.
pub const WINDOW: Duration = Duration::from_secs(5);

#[derive(Clone, Copy, Default)]
struct Bucket {
    second: u64,
    video_bytes: u64,
    audio_bytes: u64,
    video_frames: u64,
}

/// Per-track totals on the publisher's clock.
#[derive(Clone, Copy, Default, Debug)]
struct Totals {
    bytes: u64,
    frames: u64,
    first_dts: Option<i64>,
    last_dts: i64,
}

impl Totals {
    fn add(&mut self, bytes: usize, dts: i64) {
        self.bytes += bytes as u64;
        self.frames += 1;
        self.first_dts.get_or_insert(dts);
        self.last_dts = dts;
    }

    /// Span of the DTS seen, in seconds, counting the last frame's own duration.
    fn span(&self) -> Option<f64> {
        let first = self.first_dts?;
        if self.frames < 2 || self.last_dts <= first {
            return None;
        }
        let per_frame = (self.last_dts - first) as f64 / (self.frames - 1) as f64;
        Some(((self.last_dts - first) as f64 + per_frame) / 1000.0)
    }
}

/// Statistics of one stream.
pub struct IngestStats {
    start: Instant,
    buckets: VecDeque<Bucket>,
    video: Totals,
    audio: Totals,
    last_keyframe_dts: Option<i64>,
    keyframe_gaps_ms: i64,
    keyframe_gaps: i64,
    last_data: Instant,
}

/// A view of the statistics at one instant.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Video bits per second over the window.
    pub video_bps: f64,
    /// Audio bits per second over the window.
    pub audio_bps: f64,
    /// Video frames per second over the window.
    pub frame_rate: f64,
    /// Time since the last frame arrived.
    pub idle: Duration,
    /// Average video bits per second over the whole stream (publisher clock).
    pub avg_video_bps: f64,
    /// Average audio bits per second over the whole stream (publisher clock).
    pub avg_audio_bps: f64,
    /// Average video frame rate over the whole stream (publisher clock).
    pub avg_frame_rate: f64,
    /// Average seconds between video keyframes, once two were seen.
    pub keyframe_interval: Option<f64>,
    /// Video frames received.
    pub video_frames: u64,
    /// Audio frames received.
    pub audio_frames: u64,
}

impl IngestStats {
    /// Statistics of a stream starting now.
    pub fn new(now: Instant) -> Self {
        IngestStats {
            start: now,
            buckets: VecDeque::new(),
            video: Totals::default(),
            audio: Totals::default(),
            last_keyframe_dts: None,
            keyframe_gaps_ms: 0,
            keyframe_gaps: 0,
            last_data: now,
        }
    }

    fn second(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.start).as_secs()
    }

    /// Records a frame of `bytes` bytes that arrived at `now`.
    pub fn record(&mut self, now: Instant, track: Track, bytes: usize, dts: i64, keyframe: bool) {
        self.last_data = now;
        let second = self.second(now);
        if self.buckets.back().is_none_or(|b| b.second != second) {
            self.buckets.push_back(Bucket { second, ..Bucket::default() });
        }
        let window = WINDOW.as_secs();
        while self.buckets.front().is_some_and(|b| b.second + window < second) {
            self.buckets.pop_front();
        }
        let Some(b) = self.buckets.back_mut() else { return };
        match track {
            Track::Video => {
                b.video_bytes += bytes as u64;
                b.video_frames += 1;
                self.video.add(bytes, dts);
                if keyframe {
                    if let Some(prev) = self.last_keyframe_dts.filter(|p| dts > *p) {
                        self.keyframe_gaps_ms += dts - prev;
                        self.keyframe_gaps += 1;
                    }
                    self.last_keyframe_dts = Some(dts);
                }
            }
            Track::Audio => {
                b.audio_bytes += bytes as u64;
                self.audio.add(bytes, dts);
            }
        }
    }

    /// The statistics at `now`.
    pub fn snapshot(&self, now: Instant) -> Snapshot {
        let second = self.second(now);
        let window = WINDOW.as_secs();
        // Whole seconds only (the current one is still filling), at most the window, at least one.
        let from = second.saturating_sub(window);
        let full: Vec<&Bucket> =
            self.buckets.iter().filter(|b| b.second >= from && b.second < second).collect();
        let span = (second - from).max(1) as f64;
        let sum = |f: fn(&Bucket) -> u64| full.iter().map(|b| f(b)).sum::<u64>() as f64;
        let avg = |t: &Totals| t.span().map(|s| t.bytes as f64 * 8.0 / s).unwrap_or(0.0);
        Snapshot {
            video_bps: sum(|b| b.video_bytes) * 8.0 / span,
            audio_bps: sum(|b| b.audio_bytes) * 8.0 / span,
            frame_rate: sum(|b| b.video_frames) / span,
            idle: now.saturating_duration_since(self.last_data),
            avg_video_bps: avg(&self.video),
            avg_audio_bps: avg(&self.audio),
            avg_frame_rate: self.video.span().map(|s| self.video.frames as f64 / s).unwrap_or(0.0),
            keyframe_interval: (self.keyframe_gaps > 0)
                .then(|| self.keyframe_gaps_ms as f64 / self.keyframe_gaps as f64 / 1000.0),
            video_frames: self.video.frames,
            audio_frames: self.audio.frames,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_from_a_steady_30_fps_stream() {
        let t0 = Instant::now();
        let mut s = IngestStats::new(t0);
        // 10 s of 30 fps video, 12 500 bytes a frame (3 Mbit/s), a keyframe every 2 s; AAC at 48 kHz.
        for i in 0..300i64 {
            let at = t0 + Duration::from_millis(u64::try_from(i * 1000 / 30).unwrap());
            s.record(at, Track::Video, 12_500, i * 1000 / 30, i % 60 == 0);
        }
        for i in 0..469i64 {
            let at = t0 + Duration::from_millis(u64::try_from(i * 1024 * 1000 / 48000).unwrap());
            s.record(at, Track::Audio, 800, i * 1024 * 1000 / 48000, true);
        }
        let snap = s.snapshot(t0 + Duration::from_secs(10));
        assert!((snap.frame_rate - 30.0).abs() < 0.5, "{snap:?}");
        assert!((snap.video_bps - 3_000_000.0).abs() < 60_000.0, "{snap:?}");
        assert!((snap.avg_frame_rate - 30.0).abs() < 0.1, "{snap:?}");
        assert!((snap.avg_video_bps - 3_000_000.0).abs() < 30_000.0, "{snap:?}");
        assert!((snap.avg_audio_bps - 300_000.0).abs() < 10_000.0, "{snap:?}");
        assert!((snap.keyframe_interval.unwrap() - 2.0).abs() < 0.05, "{snap:?}");
        assert_eq!((snap.video_frames, snap.audio_frames), (300, 469));
    }

    #[test]
    fn a_silent_stream_decays_to_zero_and_reports_idle_time() {
        let t0 = Instant::now();
        let mut s = IngestStats::new(t0);
        s.record(t0, Track::Video, 1000, 0, true);
        let later = s.snapshot(t0 + Duration::from_secs(12));
        assert_eq!(later.frame_rate, 0.0);
        assert_eq!(later.idle, Duration::from_secs(12));
        assert!(s.buckets.len() <= 6);
    }
}
