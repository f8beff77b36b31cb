//! HLS playlists (RFC 8216): the multivariant playlist of a channel (§4.4.6: `EXT-X-STREAM-INF` with
//! BANDWIDTH, AVERAGE-BANDWIDTH, CODECS, RESOLUTION, FRAME-RATE) and the live media playlist of its
//! segment window (§4.4.3). Pure text formatting; the server decides the URIs.

use crate::frame::{AudioConfig, VideoConfig};
use crate::segmenter::{OpenSegment, Part, Segment};
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

impl VariantInfo {
    /// The rendition's name as IVS gives it, `<height>p<frame rate>` (`720p30`, `1080p60`): players
    /// show it as the quality's name (the IVS Player's `getQualities()`). `None` without video.
    pub fn name(&self) -> Option<String> {
        let (_, height) = self.resolution?;
        let fps = self.frame_rate.filter(|f| f.is_finite() && *f > 0.0).map_or(30, |f| f.round() as u32);
        Some(format!("{height}p{fps}"))
    }
}

/// The multivariant playlist with one rendition at `media_uri`. A video rendition also gets an
/// `EXT-X-MEDIA` video group named like IVS's (RFC 8216 §4.3.4.1: without a URI, its media is the
/// variant stream's own), which is where players such as the IVS Player take quality names from.
pub fn multivariant(info: &VariantInfo, media_uri: &str) -> String {
    let mut out = String::from("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    let name = info.name();
    if let Some(name) = &name {
        let _ = writeln!(
            out,
            "#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID=\"{name}\",NAME=\"{name}\",AUTOSELECT=YES,DEFAULT=YES"
        );
    }
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
    if let Some(name) = &name {
        let _ = write!(out, ",VIDEO=\"{name}\"");
    }
    let _ = write!(out, "\n{media_uri}\n");
    out
}

/// How a media playlist names what it lists: each method appends the URI to `out` (no String per
/// URI; a low-latency playlist names some 70).
pub trait Uris {
    /// A whole segment.
    fn segment(&self, out: &mut String, seq: u64);
    /// Part `index` of segment `seq`.
    fn part(&self, out: &mut String, seq: u64, index: u32);
    /// An initialization section (fMP4).
    fn init(&self, out: &mut String, id: u32);
}

/// A playlist rendered once, with a slot at the end of every URI where a per-viewer suffix (a query
/// string) goes. A live window changes a few times a second while every viewer reloads it, so the
/// server renders each window once and per request only splices the suffix in: one allocation of the
/// exact size and a few `memcpy`s, instead of formatting every tag and URI again.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spliced {
    text: String,
    /// Byte offsets into `text`, ascending, each at the end of a URI.
    slots: Vec<usize>,
}

impl Spliced {
    /// The playlist with `suffix` after every URI.
    pub fn with_suffix(&self, suffix: &str) -> String {
        let mut out = String::with_capacity(self.text.len() + self.slots.len() * suffix.len());
        let mut from = 0;
        for &at in &self.slots {
            out.push_str(&self.text[from..at]);
            out.push_str(suffix);
            from = at;
        }
        out.push_str(&self.text[from..]);
        out
    }

    /// How many URIs the playlist names (the suffix goes after each).
    pub fn uris(&self) -> usize {
        self.slots.len()
    }

    /// The playlist without suffixes.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Where the suffixes go: byte offsets into [`Self::text`], ascending.
    pub fn slots(&self) -> &[usize] {
        &self.slots
    }

    /// A playlist from its text and slots (ascending offsets at character boundaries of `text`).
    ///
    /// # Panics
    /// If the slots are not that.
    pub fn from_parts(text: String, slots: Vec<usize>) -> Self {
        assert!(
            slots.windows(2).all(|w| w[0] <= w[1]) && slots.iter().all(|&at| text.is_char_boundary(at)),
            "slots must be ascending character boundaries of the text"
        );
        Spliced { text, slots }
    }

    /// Writes a URI (quoted when `quoted`) and marks its end as a slot.
    fn uri(&mut self, quoted: bool, write: impl FnOnce(&mut String)) {
        if quoted {
            self.text.push('"');
        }
        write(&mut self.text);
        self.slots.push(self.text.len());
        if quoted {
            self.text.push('"');
        }
    }
}

/// What a media playlist shows.
pub struct MediaPlaylist<'a> {
    /// The finished segments, oldest first.
    pub segments: &'a [Segment],
    /// The segment being written (its finished parts), low latency only.
    pub open: Option<&'a OpenSegment>,
    /// The configured target duration, ms.
    pub target_ms: i64,
    /// The part target, ms, for low-latency playlists.
    pub part_target_ms: Option<i64>,
    /// The stream ended.
    pub ended: bool,
}

/// Closed segments that list their parts (the last three target durations, rfc8216bis §4.4.4.9).
const LISTED_PART_SEGMENTS: usize = 3;

/// Appends ms as decimal seconds with three decimals.
fn secs(out: &mut String, ms: i64) {
    let _ = write!(out, "{}.{:03}", ms / 1000, ms % 1000);
}

/// The live media playlist (RFC 8216 §4.4.3; rfc8216bis §4.4.3.7-8, §4.4.4.9, §4.4.5.3 for low
/// latency): segments with their dates, and for low latency the server control, the parts of the
/// last segments and of the open one, and a preload hint for the next part.
pub fn media_playlist(p: &MediaPlaylist<'_>, uris: &dyn Uris) -> String {
    media_playlist_spliced(p, uris).with_suffix("")
}

/// [`media_playlist`] with a slot after every URI, to be completed per viewer by
/// [`Spliced::with_suffix`].
pub fn media_playlist_spliced(p: &MediaPlaylist<'_>, uris: &dyn Uris) -> Spliced {
    // §4.3.3.1: every EXTINF, rounded to the nearest integer, must be at most the target duration.
    let longest = p.segments.iter().map(|s| s.duration_ms).max().unwrap_or(0).max(p.target_ms);
    let target = ((longest + 500) / 1000).max(1);
    let first = p.segments.first().map(|s| s.seq).or(p.open.map(|o| o.seq)).unwrap_or(0);
    let has_init = p.segments.iter().any(|s| s.init.is_some()) || p.open.is_some_and(|o| o.init.is_some());
    // EXT-X-MAP in a media playlist needs version 6, as do the low-latency tags' players.
    let version = if has_init || p.part_target_ms.is_some() { 6 } else { 3 };
    let low = p.part_target_ms.is_some();
    // Roughly what each listed line takes, so the text grows at most once or twice.
    let listed_parts: usize = p.segments.iter().rev().take(LISTED_PART_SEGMENTS).map(|s| s.parts.len()).sum();
    let open_parts = p.open.map_or(0, |o| o.parts.len());
    let estimate = 256 + p.segments.len() * 96 + (listed_parts + open_parts) * 56;
    let mut out = Spliced { text: String::with_capacity(estimate), slots: Vec::with_capacity(80) };
    let t = &mut out.text;
    let _ = write!(t, "#EXTM3U\n#EXT-X-VERSION:{version}\n#EXT-X-TARGETDURATION:{target}\n");
    if let Some(part) = p.part_target_ms {
        let _ = write!(t, "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=");
        secs(t, 3 * part);
        t.push_str(",HOLD-BACK=");
        secs(t, 3 * target * 1000);
        t.push_str("\n#EXT-X-PART-INF:PART-TARGET=");
        secs(t, part);
        t.push('\n');
        // Where to start: PART-HOLD-BACK from the end of what the playlist lists (parts included), which
        // is where hls.js starts a low-latency stream anyway, but never past the last whole segment's
        // final part: the IVS Player, which reads no SERVER-CONTROL, otherwise starts a whole segment
        // or more further back (2.8-3.7 s glass to glass), and when told to start inside the segment
        // being written its wasm failed now and then ("memory access out of bounds" at that segment's
        // end). A positive offset (from the playlist's start), because the IVS Player takes a negative
        // one as the start of the playlist. RFC 8216 §4.3.5.2 would keep a start three target
        // durations from a live end; low-latency HLS's hold-back is the part hold-back instead.
        // MPEG-TS only: with fMP4 segments the IVS Player started there but then stalled at every
        // other segment boundary (3 runs of 3), where without the tag it plays on (0 of 3).
        if !p.ended && !has_init && !p.segments.is_empty() {
            let closed: i64 = p.segments.iter().map(|s| s.duration_ms).sum();
            let listed = closed + p.open.map_or(0, |o| o.parts.iter().map(|x| x.duration_ms).sum());
            let last_part = p.segments.last().and_then(|s| s.parts.last()).map_or(part, |x| x.duration_ms);
            let at = (listed - 3 * part).min(closed - last_part);
            if at > 0 {
                t.push_str("#EXT-X-START:TIME-OFFSET=");
                secs(t, at);
                t.push('\n');
            }
        }
    }
    let _ = writeln!(t, "#EXT-X-MEDIA-SEQUENCE:{first}");
    if p.segments.iter().all(|s| s.independent) {
        t.push_str("#EXT-X-INDEPENDENT-SEGMENTS\n");
    }
    let listed_from = p.segments.len().saturating_sub(LISTED_PART_SEGMENTS);
    let mut map: Option<u32> = None;
    let mut head = |out: &mut Spliced, init: Option<&std::sync::Arc<crate::segmenter::InitSegment>>, date| {
        if let Some(i) = init.filter(|i| map != Some(i.id)) {
            out.text.push_str("#EXT-X-MAP:URI=");
            out.uri(true, |t| uris.init(t, i.id));
            out.text.push('\n');
            map = Some(i.id);
        }
        if let Some(ms) = date {
            out.text.push_str("#EXT-X-PROGRAM-DATE-TIME:");
            write_rfc3339_ms(&mut out.text, ms);
            out.text.push('\n');
        }
    };
    for (i, s) in p.segments.iter().enumerate() {
        head(&mut out, s.init.as_ref(), s.program_date_ms);
        if low && i >= listed_from {
            parts(&mut out, s.seq, &s.parts, uris);
        }
        out.text.push_str("#EXTINF:");
        secs(&mut out.text, s.duration_ms);
        out.text.push_str(",\n");
        out.uri(false, |t| uris.segment(t, s.seq));
        out.text.push('\n');
    }
    if let Some(o) = p.open.filter(|_| low) {
        head(&mut out, o.init.as_ref(), o.program_date_ms);
        parts(&mut out, o.seq, &o.parts, uris);
    }
    if p.ended {
        out.text.push_str("#EXT-X-ENDLIST\n");
    } else if low {
        let next = match p.open {
            Some(o) => (o.seq, o.parts.len() as u32),
            None => (p.segments.last().map_or(0, |s| s.seq + 1), 0),
        };
        out.text.push_str("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=");
        out.uri(true, |t| uris.part(t, next.0, next.1));
        out.text.push('\n');
        // LHLS (what the Amazon IVS Player implements instead of parts): the segment being written,
        // which the server sends as it grows. Only that one: a prefetched segment that then never
        // comes (the stream ended first) is a fatal download error in the IVS Player, where the one
        // being written is always finished. Players without LHLS ignore the tag (RFC 8216 §4.1).
        out.text.push_str("#EXT-X-PREFETCH:");
        out.uri(false, |t| uris.segment(t, next.0));
        out.text.push('\n');
    }
    out
}

fn parts(out: &mut Spliced, seq: u64, parts: &[Part], uris: &dyn Uris) {
    for part in parts {
        out.text.push_str("#EXT-X-PART:DURATION=");
        secs(&mut out.text, part.duration_ms);
        out.text.push_str(",URI=");
        out.uri(true, |t| uris.part(t, seq, part.index));
        out.text.push_str(if part.independent { ",INDEPENDENT=YES\n" } else { "\n" });
    }
}

/// Unix ms as RFC 3339 with milliseconds in UTC (`2026-11-26T15:30:06.123Z`).
pub fn rfc3339_ms(ms: i64) -> String {
    let mut out = String::with_capacity(24);
    write_rfc3339_ms(&mut out, ms);
    out
}

fn write_rfc3339_ms(out: &mut String, ms: i64) {
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, m, d) = civil_from_days(days);
    let (h, min, s, milli) = (rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000);
    let _ = write!(out, "{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z");
}

/// The proleptic Gregorian date of a day count from 1970-01-01 (400-year eras of 146097 days).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::sync::Arc;

    fn seg(seq: u64, duration_ms: i64, len: usize) -> Segment {
        Segment {
            seq,
            start_ms: 0,
            duration_ms,
            video_frames: (duration_ms * 30 / 1000) as u32,
            independent: true,
            program_date_ms: None,
            init: None,
            parts: Arc::new([]),
            data: Bytes::from(vec![0; len]),
        }
    }

    fn part(index: u32, duration_ms: i64, independent: bool) -> Part {
        Part { index, start_ms: 0, duration_ms, independent, data: Bytes::new() }
    }

    struct Names;
    impl Uris for Names {
        fn segment(&self, out: &mut String, seq: u64) {
            let _ = write!(out, "s/{seq}.ts");
        }
        fn part(&self, out: &mut String, seq: u64, index: u32) {
            let _ = write!(out, "s/{seq}.{index}.ts?t=1");
        }
        fn init(&self, out: &mut String, id: u32) {
            let _ = write!(out, "s/init{id}.mp4");
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
             #EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID=\"360p30\",NAME=\"360p30\",AUTOSELECT=YES,DEFAULT=YES\n\
             #EXT-X-STREAM-INF:BANDWIDTH=2000000,AVERAGE-BANDWIDTH=1500000,CODECS=\"avc1.64001F,mp4a.40.2\",\
             RESOLUTION=640x360,FRAME-RATE=30.000,VIDEO=\"360p30\"\na/media.m3u8\n"
        );
        let sixty = VariantInfo { frame_rate: Some(59.94), resolution: Some((1920, 1080)), ..info.clone() };
        assert_eq!(sixty.name().as_deref(), Some("1080p60"));
        let audio_only = variant_info(None, Some(&audio), &[]);
        assert_eq!(
            (audio_only.codecs.as_str(), audio_only.resolution, audio_only.frame_rate),
            ("mp4a.40.2", None, None)
        );
        assert!(!multivariant(&audio_only, "m.m3u8").contains("EXT-X-MEDIA"), "no video group without video");
    }

    #[test]
    fn media_playlist_lists_the_window() {
        let segs = [seg(7, 2002, 1), seg(8, 2600, 1)];
        let p = MediaPlaylist {
            segments: &segs,
            open: None,
            target_ms: 2000,
            part_target_ms: None,
            ended: false,
        };
        assert_eq!(
            media_playlist(&p, &Names),
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXT-X-MEDIA-SEQUENCE:7\n\
             #EXT-X-INDEPENDENT-SEGMENTS\n#EXTINF:2.002,\ns/7.ts\n#EXTINF:2.600,\ns/8.ts\n"
        );
        let ended = MediaPlaylist { ended: true, ..p };
        assert!(media_playlist(&ended, &Names).ends_with("#EXT-X-ENDLIST\n"));
    }

    #[test]
    fn low_latency_playlists_list_recent_parts_and_hint_the_next() {
        let mut segs: Vec<Segment> = (0..5).map(|i| seg(i, 2000, 1)).collect();
        segs[0].independent = false;
        for s in &mut segs[1..] {
            s.parts = Arc::from(vec![part(0, 334, true), part(1, 333, false)]);
            s.program_date_ms = Some(1_764_171_006_123 + s.seq as i64 * 2000);
        }
        let open = OpenSegment {
            seq: 5,
            program_date_ms: Some(1_764_171_016_123),
            init: None,
            parts: vec![part(0, 334, true)],
        };
        let p = MediaPlaylist {
            segments: &segs,
            open: Some(&open),
            target_ms: 2000,
            part_target_ms: Some(334),
            ended: false,
        };
        let text = media_playlist(&p, &Names);
        assert!(
            text.starts_with(
                "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:2\n\
             #EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.002,HOLD-BACK=6.000\n\
             #EXT-X-PART-INF:PART-TARGET=0.334\n#EXT-X-START:TIME-OFFSET=9.332\n\
             #EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2.000,\ns/0.ts\n"
            ),
            "{text}"
        );
        assert!(!text.contains("INDEPENDENT-SEGMENTS"), "segment 0 does not start with a keyframe");
        // Segment 1 is more than three segments back: no parts; 2, 3, 4 and the open 5 have them.
        assert!(!text.contains("s/1.0.ts") && text.contains("s/2.0.ts"), "{text}");
        assert!(
            text.contains(
                "#EXT-X-PROGRAM-DATE-TIME:2025-11-26T15:30:14.123Z\n\
             #EXT-X-PART:DURATION=0.334,URI=\"s/4.0.ts?t=1\",INDEPENDENT=YES\n\
             #EXT-X-PART:DURATION=0.333,URI=\"s/4.1.ts?t=1\"\n#EXTINF:2.000,\ns/4.ts\n\
             #EXT-X-PROGRAM-DATE-TIME:2025-11-26T15:30:16.123Z\n\
             #EXT-X-PART:DURATION=0.334,URI=\"s/5.0.ts?t=1\",INDEPENDENT=YES\n\
             #EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"s/5.1.ts?t=1\"\n"
            ),
            "{text}"
        );
        assert!(
            !media_playlist(&MediaPlaylist { part_target_ms: None, open: None, ..p }, &Names)
                .contains("PREFETCH")
        );
        assert!(text.ends_with("PRELOAD-HINT:TYPE=PART,URI=\"s/5.1.ts?t=1\"\n#EXT-X-PREFETCH:s/5.ts\n"));
        let ended = media_playlist(&MediaPlaylist { ended: true, ..p }, &Names);
        assert!(ended.ends_with("#EXT-X-ENDLIST\n") && !ended.contains("PRELOAD-HINT"));
        assert!(!ended.contains("PREFETCH"), "nothing is being written after the end");
        assert!(!ended.contains("EXT-X-START"), "an ended playlist plays from its start");

        // Spliced: the suffix lands at the end of every URI, inside the quotes, and nowhere else.
        let spliced = media_playlist_spliced(&p, &Names);
        assert_eq!(spliced.with_suffix(""), text);
        let viewer = spliced.with_suffix("&session=abc");
        let uris = text.matches("s/").count();
        assert_eq!((spliced.uris(), viewer.matches("&session=abc").count()), (uris, uris));
        assert_eq!(viewer.replace("&session=abc", ""), text);
        assert!(viewer.contains("URI=\"s/5.1.ts?t=1&session=abc\"\n"), "{viewer}");
        assert!(viewer.contains("\ns/4.ts&session=abc\n#EXT-X-PROGRAM-DATE-TIME"), "{viewer}");
        assert!(viewer.ends_with("#EXT-X-PREFETCH:s/5.ts&session=abc\n"), "{viewer}");
    }

    #[test]
    fn low_latency_ts_playlists_say_where_to_start() {
        let mut segs: Vec<Segment> = (0..3).map(|i| seg(i, 2000, 1)).collect();
        for s in &mut segs {
            s.parts = (0..6).map(|i| part(i, if i < 5 { 334 } else { 330 }, i == 0)).collect();
        }
        let mut open =
            OpenSegment { seq: 3, program_date_ms: None, init: None, parts: vec![part(0, 334, true)] };
        let p = |open: &OpenSegment, segments: &[Segment]| {
            let p = MediaPlaylist {
                segments,
                open: Some(open),
                target_ms: 2000,
                part_target_ms: Some(334),
                ended: false,
            };
            media_playlist(&p, &Names)
        };
        // PART-HOLD-BACK (1.002 s) from the end of the parts listed: 6.334 - 1.002.
        assert!(p(&open, &segs).contains("\n#EXT-X-START:TIME-OFFSET=5.332\n"));
        // Never inside the segment being written: at most the last whole segment's last part.
        open.parts = (0..5).map(|i| part(i, 334, i == 0)).collect();
        assert!(p(&open, &segs).contains("\n#EXT-X-START:TIME-OFFSET=5.670\n"));
        // Nothing to say before a segment is whole, nor for fMP4 segments.
        assert!(!p(&open, &[]).contains("EXT-X-START"));
        let init = Some(Arc::new(crate::segmenter::InitSegment { id: 0, data: Bytes::new() }));
        let fmp4: Vec<Segment> = segs.iter().cloned().map(|s| Segment { init: init.clone(), ..s }).collect();
        assert!(!p(&open, &fmp4).contains("EXT-X-START"));
    }

    #[test]
    fn fmp4_playlists_name_each_init_section_before_the_segments_that_need_it() {
        let init = |id| Some(Arc::new(crate::segmenter::InitSegment { id, data: Bytes::new() }));
        let mut segs: Vec<Segment> = (3..6).map(|i| seg(i, 6000, 1)).collect();
        segs[0].init = init(0);
        segs[1].init = segs[0].init.clone();
        segs[2].init = init(1);
        let p = MediaPlaylist {
            segments: &segs,
            open: None,
            target_ms: 6000,
            part_target_ms: None,
            ended: false,
        };
        let text = media_playlist(&p, &Names);
        assert_eq!(
            text,
            "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:3\n\
             #EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"s/init0.mp4\"\n#EXTINF:6.000,\ns/3.ts\n\
             #EXTINF:6.000,\ns/4.ts\n#EXT-X-MAP:URI=\"s/init1.mp4\"\n#EXTINF:6.000,\ns/5.ts\n"
        );
        let viewer = media_playlist_spliced(&p, &Names).with_suffix("?v");
        assert!(viewer.contains("#EXT-X-MAP:URI=\"s/init0.mp4?v\"\n#EXTINF:6.000,\ns/3.ts?v\n"), "{viewer}");
    }

    #[test]
    fn dates_are_rfc3339_in_utc() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(951_782_400_001), "2000-02-29T00:00:00.001Z");
        assert_eq!(rfc3339_ms(4_102_444_799_999), "2099-12-31T23:59:59.999Z");
        assert_eq!(rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
    }
}
