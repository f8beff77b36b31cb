//! HLS playlists (RFC 8216): the multivariant playlist of a channel (§4.4.6: `EXT-X-STREAM-INF` with
//! BANDWIDTH, AVERAGE-BANDWIDTH, CODECS, RESOLUTION, FRAME-RATE) and the live media playlist of its
//! segment window (§4.4.3). Pure text formatting; the server decides the URIs.

use crate::frame::{AudioConfig, VideoConfig};
use crate::segmenter::Segment;
use std::fmt::Write;

/// What a multivariant playlist says about a rendition.
#[derive(Clone, Debug, PartialEq)]
pub struct VariantInfo {
    /// Peak segment bit rate, bits/s.
    pub bandwidth: u64,
    /// Mean bit rate over the window, bits/s.
    pub average_bandwidth: u64,
    /// RFC 6381 codec strings, comma-separated.
    pub codecs: String,
    /// Width and height.
    pub resolution: Option<(u32, u32)>,
    /// Frames per second.
    pub frame_rate: Option<f64>,
}

/// Bit rate used before any segment was measured.
const UNMEASURED_BPS: u64 = 2_000_000;

/// Measures a rendition from its configurations and its segment window.
pub fn variant_info<'a>(
    video: Option<&VideoConfig>,
    audio: Option<&AudioConfig>,
    segments: impl IntoIterator<Item = &'a Segment>,
) -> VariantInfo {
    let (mut peak, mut bytes, mut ms, mut frames) = (0u64, 0u64, 0i64, 0u64);
    for s in segments {
        let d = s.duration_ms.max(1);
        peak = peak.max(s.data.len() as u64 * 8000 / d as u64);
        bytes += s.data.len() as u64;
        ms += d;
        frames += u64::from(s.video_frames);
    }
    let average = if ms > 0 { bytes * 8000 / ms as u64 } else { UNMEASURED_BPS };
    let codecs: Vec<&str> =
        video.map(|v| v.codec.as_str()).into_iter().chain(audio.map(|a| a.codec.as_str())).collect();
    let measured_rate = (ms > 0 && frames > 0).then(|| frames as f64 * 1000.0 / ms as f64);
    VariantInfo {
        bandwidth: if peak > 0 { peak } else { UNMEASURED_BPS },
        average_bandwidth: average,
        codecs: codecs.join(","),
        resolution: video.filter(|v| v.width > 0 && v.height > 0).map(|v| (v.width, v.height)),
        frame_rate: video.and_then(|v| v.frame_rate).or(measured_rate.filter(|_| video.is_some())),
    }
}

/// The multivariant playlist with one rendition at `media_uri`.
pub fn multivariant(info: &VariantInfo, media_uri: &str) -> String {
    let mut out = String::from("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    let _ = write!(
        out,
        "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},CODECS=\"{}\"",
        info.bandwidth, info.average_bandwidth, info.codecs
    );
    if let Some((w, h)) = info.resolution {
        let _ = write!(out, ",RESOLUTION={w}x{h}");
    }
    if let Some(f) = info.frame_rate {
        let _ = write!(out, ",FRAME-RATE={f:.3}");
    }
    let _ = write!(out, "\n{media_uri}\n");
    out
}

/// The live media playlist of a segment window; `uri` names each segment.
pub fn media_playlist<'a>(
    segments: impl IntoIterator<Item = &'a Segment>,
    target_ms: i64,
    ended: bool,
    uri: impl Fn(&Segment) -> String,
) -> String {
    let segments: Vec<&Segment> = segments.into_iter().collect();
    // §4.3.3.1: every EXTINF, rounded to the nearest integer, must be at most the target duration.
    let longest = segments.iter().map(|s| s.duration_ms).max().unwrap_or(0).max(target_ms);
    let target = (longest + 500) / 1000;
    let first = segments.first().map(|s| s.seq).unwrap_or(0);
    let mut out = String::from("#EXTM3U\n#EXT-X-VERSION:3\n");
    let _ = write!(out, "#EXT-X-TARGETDURATION:{}\n#EXT-X-MEDIA-SEQUENCE:{first}\n", target.max(1));
    for s in &segments {
        let _ = write!(out, "#EXTINF:{}.{:03},\n{}\n", s.duration_ms / 1000, s.duration_ms % 1000, uri(s));
    }
    if ended {
        out.push_str("#EXT-X-ENDLIST\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn seg(seq: u64, duration_ms: i64, len: usize) -> Segment {
        Segment {
            seq,
            start_ms: 0,
            duration_ms,
            video_frames: (duration_ms * 30 / 1000) as u32,
            independent: true,
            data: Bytes::from(vec![0; len]),
        }
    }

    fn video() -> VideoConfig {
        VideoConfig {
            codec: "avc1.64001F".into(),
            profile: "High".into(),
            level: "3.1".into(),
            width: 640,
            height: 360,
            frame_rate: None,
            record: Bytes::new(),
        }
    }

    #[test]
    fn multivariant_playlist_describes_the_rendition() {
        let audio =
            AudioConfig { codec: "mp4a.40.2".into(), sample_rate: 48000, channels: 2, record: Bytes::new() };
        let segs = [seg(0, 2000, 250_000), seg(1, 2000, 500_000)];
        let info = variant_info(Some(&video()), Some(&audio), &segs);
        assert_eq!((info.bandwidth, info.average_bandwidth), (2_000_000, 1_500_000));
        assert_eq!(
            multivariant(&info, "a/media.m3u8"),
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n\
             #EXT-X-STREAM-INF:BANDWIDTH=2000000,AVERAGE-BANDWIDTH=1500000,CODECS=\"avc1.64001F,mp4a.40.2\",\
             RESOLUTION=640x360,FRAME-RATE=30.000\na/media.m3u8\n"
        );
        let audio_only = variant_info(None, Some(&audio), &[]);
        assert_eq!(
            (audio_only.codecs.as_str(), audio_only.resolution, audio_only.frame_rate),
            ("mp4a.40.2", None, None)
        );
    }

    #[test]
    fn media_playlist_lists_the_window() {
        let segs = [seg(7, 2002, 1), seg(8, 2600, 1)];
        let text = media_playlist(&segs, 2000, false, |s| format!("s/{}.ts", s.seq));
        assert_eq!(
            text,
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXT-X-MEDIA-SEQUENCE:7\n\
             #EXTINF:2.002,\ns/7.ts\n#EXTINF:2.600,\ns/8.ts\n"
        );
        assert!(media_playlist(&segs, 2000, true, |_| String::new()).ends_with("#EXT-X-ENDLIST\n"));
    }
}
