//! The playlists of an IVS recording, byte for byte as a real recording has them
//! (ivs-recording-events.md §1.4): per rendition `playlist.m3u8` (HLS v3, `PLAYLIST-TYPE:EVENT`,
//! Twitch's elapsed/total tags, always `EXT-X-ENDLIST`) and `byte-range-variant.m3u8` (v4, one entry
//! per byte range), and the multivariant `master.m3u8` / `byte-range-multivariant.m3u8`.

use super::{RecordedSegment, Rendition, SubRange};
use crate::hls::rfc3339_ms;
use std::fmt::Write;

/// One line of a rendition's history: what the playlists need of a segment (its bytes are not kept).
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// N in `N.ts`.
    pub index: u64,
    /// Duration, ms.
    pub duration_ms: i64,
    /// Wall clock (Unix ms) of its first frame.
    pub pdt_ms: i64,
    /// The first segment of a merged recording's next stream.
    pub discontinuity: bool,
    /// Its byte ranges.
    pub ranges: Vec<SubRange>,
}

impl From<&RecordedSegment> for Entry {
    fn from(s: &RecordedSegment) -> Self {
        Entry {
            index: s.index,
            duration_ms: s.duration_ms,
            pdt_ms: s.pdt_ms,
            discontinuity: s.discontinuity,
            ranges: s.ranges.clone(),
        }
    }
}

/// A wall clock time (Unix ms) as UTC `YYYY-MM-DDTHH:MM:SS`, the form of IVS's `ID3-EQUIV-TDTG` and of
/// the `TDTG` frames in its segments.
pub(crate) fn seconds_utc(ms: i64) -> String {
    let full = rfc3339_ms(ms);
    // `YYYY-MM-DDTHH:MM:SS.mmmZ`: everything before the fraction.
    match full.find('.') {
        Some(dot) => full[..dot].to_owned(),
        None => full,
    }
}

/// Milliseconds as seconds with three decimals (`10.267`), as IVS prints `EXTINF`.
fn secs(ms: i64) -> String {
    let ms = ms.max(0);
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// `EXT-X-TARGETDURATION`: the longest segment rounded up to whole seconds, at least 1 (the sample's
/// 11.200 s gives 12).
fn target_duration(entries: &[Entry]) -> i64 {
    let longest = entries.iter().map(|e| e.duration_ms).max().unwrap_or(0).max(1);
    (longest + 999) / 1000
}

/// `media/hls/<rendition>/playlist.m3u8` rewritten at `rewritten_ms` (Unix ms): `ID3-EQUIV-TDTG` holds
/// that time, and it ends with `EXT-X-ENDLIST` even while the stream is live, as IVS's does.
pub fn media(entries: &[Entry], rewritten_ms: i64) -> String {
    let total: i64 = entries.iter().map(|e| e.duration_ms.max(0)).sum();
    let mut out = String::with_capacity(256 + entries.len() * 72);
    let _ = write!(
        out,
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:{}\n#ID3-EQUIV-TDTG:{}\n\
         #EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-TWITCH-ELAPSED-SECS:0.000\n\
         #EXT-X-TWITCH-TOTAL-SECS:{}\n",
        target_duration(entries),
        seconds_utc(rewritten_ms),
        secs(total),
    );
    for e in entries {
        if e.discontinuity {
            out.push_str("#EXT-X-DISCONTINUITY\n");
        }
        let _ = write!(
            out,
            "#EXT-X-PROGRAM-DATE-TIME:{}\n#EXTINF:{},\n{}.ts\n",
            rfc3339_ms(e.pdt_ms),
            secs(e.duration_ms),
            e.index
        );
    }
    out.push_str("#EXT-X-ENDLIST\n");
    out
}

/// `media/hls/<rendition>/byte-range-variant.m3u8`: every byte range of every segment, with
/// `EXT-X-ENDLIST` only once the recording has `ended`.
pub fn byte_range(entries: &[Entry], ended: bool) -> String {
    let mut out = String::with_capacity(128 + entries.iter().map(|e| e.ranges.len()).sum::<usize>() * 100);
    let _ = write!(
        out,
        "#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:{}\n#EXT-X-PLAYLIST-TYPE:VOD\n\
         #EXT-X-MEDIA-SEQUENCE:0\n",
        target_duration(entries)
    );
    for e in entries {
        for (i, r) in e.ranges.iter().enumerate() {
            if e.discontinuity && i == 0 {
                out.push_str("#EXT-X-DISCONTINUITY\n");
            }
            let _ = write!(
                out,
                "#EXT-X-PROGRAM-DATE-TIME:{}\n#EXTINF:{},\n#EXT-X-BYTERANGE:{}@{}\n{}.ts\n",
                rfc3339_ms(r.pdt_ms),
                secs(r.duration_ms),
                r.len,
                r.offset,
                e.index
            );
        }
    }
    if ended {
        out.push_str("#EXT-X-ENDLIST\n");
    }
    out
}

/// `media/hls/master.m3u8` (or, with `byte_range`, `byte-range-multivariant.m3u8`): the renditions
/// highest first, audio only last, with no `EXT-X-VERSION` and no final newline, as IVS writes it.
/// `channel_id` and `account_id` go into the `SESSION-DATA` lines.
pub fn master(renditions: &[Rendition], channel_id: &str, account_id: &str, byte_range: bool) -> String {
    let mut sorted: Vec<&Rendition> = renditions.iter().collect();
    // Stable: renditions of one height keep the caller's order; those without a height go last.
    sorted.sort_by_key(|r| std::cmp::Reverse(r.height.map_or(-1, i64::from)));
    let mut lines = vec![
        "#EXTM3U".to_owned(),
        format!("#EXT-X-SESSION-DATA:DATA-ID=\"net.live-video.content.id\",VALUE=\"{channel_id}\""),
        format!("#EXT-X-SESSION-DATA:DATA-ID=\"net.live-video.customer.id\",VALUE=\"{account_id}\""),
    ];
    let file = if byte_range { "byte-range-variant.m3u8" } else { "playlist.m3u8" };
    for r in sorted {
        let (label, resolution) = match (r.width, r.height) {
            (Some(w), Some(h)) => (format!("{h}p"), format!(",RESOLUTION={w}x{h}")),
            _ => (r.name.clone(), String::new()),
        };
        lines.push(format!(
            "#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID=\"{}\",NAME=\"{label}\",AUTOSELECT=YES,DEFAULT=YES",
            r.name
        ));
        lines.push(format!(
            "#EXT-X-STREAM-INF:PROGRAM-ID=1,BANDWIDTH={},CODECS=\"{}\"{resolution},VIDEO=\"{}\"",
            r.bandwidth, r.codecs, r.name
        ));
        lines.push(format!("{}/{file}", r.name));
    }
    lines.join("\n")
}

#[cfg(test)]
#[path = "playlist_tests.rs"]
mod tests;
