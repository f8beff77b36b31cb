//! Serving what a live stream's playback state holds: the multivariant and media playlists and the
//! segments, from memory. Segments are shared `Bytes`; playlists are cached briefly, segments (whose
//! URLs never repeat across streams) for a day.

use crate::ingest::Registry;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use openivs_media::hls;
use openivs_model::arn::{Arn, ResourceType};

/// What a playback path asks for.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Target<'a> {
    Multivariant,
    Media { stream_id: &'a str },
    Segment { stream_id: &'a str, seq: u64 },
}

/// Splits a path (after `/api/video/v1/`) into the channel ARN and what is asked of it.
pub(super) fn parse(path: &str) -> Option<(String, Target<'_>)> {
    let (name, target) = match path.strip_suffix(".m3u8").filter(|n| !n.contains('/')) {
        Some(name) => (name, Target::Multivariant),
        None => {
            let mut parts = path.split('/');
            let (name, stream_id, file) = (parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some() || stream_id.is_empty() {
                return None;
            }
            let target = match file {
                "media.m3u8" => Target::Media { stream_id },
                f => Target::Segment { stream_id, seq: f.strip_suffix(".ts")?.parse().ok()? },
            };
            (name, target)
        }
    };
    let mut fields = name.split('.');
    let (region, account, kind, id) = (fields.next()?, fields.next()?, fields.next()?, fields.next()?);
    if kind != "channel" || fields.next().is_some() {
        return None;
    }
    let arn = Arn::parse(&format!("arn:aws:ivs:{region}:{account}:channel/{id}"))?;
    (arn.resource_type == ResourceType::Channel).then(|| (arn.to_string(), target))
}

/// Answers one playback request. `query` is the request's raw query string (without `?`);
/// `uri_suffix` (empty, or a query string starting with `?`) is appended to every URI the playlists
/// name, so what admitted the viewer follows them to segments.
pub(super) async fn answer(
    registry: &Registry,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    uri_suffix: &str,
) -> Response {
    let _ = query;
    let Some((arn, target)) = parse(path) else {
        return text(StatusCode::NOT_FOUND, "No such playback URL");
    };
    let Some(live) = registry.entry(&arn).and_then(|e| e.playback.get().cloned()) else {
        return text(StatusCode::NOT_FOUND, "The channel is not live");
    };
    let snap = live.snapshot();
    let Some(info) = snap.info.as_ref() else {
        return text(StatusCode::NOT_FOUND, "The stream has no segments yet");
    };
    let stale = |id: &str| id != live.stream_id;
    match target {
        Target::Multivariant => {
            let name = path.trim_end_matches(".m3u8");
            let body = hls::multivariant(info, &format!("{name}/{}/media.m3u8{uri_suffix}", live.stream_id));
            playlist(body)
        }
        Target::Media { stream_id } if stale(stream_id) => {
            text(StatusCode::NOT_FOUND, "That stream has ended")
        }
        Target::Media { .. } => {
            let body = hls::media_playlist(&snap.segments, live.config.target_ms, snap.ended, |s| {
                format!("{}.ts{uri_suffix}", s.seq)
            });
            playlist(body)
        }
        Target::Segment { stream_id, .. } if stale(stream_id) => {
            text(StatusCode::NOT_FOUND, "That stream has ended")
        }
        Target::Segment { seq, .. } => match snap.segments.iter().find(|s| s.seq == seq) {
            Some(s) => ranged(s.data.clone(), headers),
            None => text(StatusCode::NOT_FOUND, "No such segment (it left the window or is not ready)"),
        },
    }
}

pub(super) fn text(status: StatusCode, message: &'static str) -> Response {
    (status, [(header::CACHE_CONTROL, "no-cache"), (header::CONTENT_TYPE, "text/plain")], message)
        .into_response()
}

/// Playlists change with every segment: cached for a second at most.
fn playlist(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/vnd.apple.mpegurl"),
            (header::CACHE_CONTROL, "max-age=1, public"),
        ],
        body,
    )
        .into_response()
}

/// A segment, whole or the single byte range asked for (RFC 9110 §14); the bytes are shared.
fn ranged(data: axum::body::Bytes, headers: &HeaderMap) -> Response {
    let base = [
        (header::CONTENT_TYPE, "video/mp2t"),
        (header::CACHE_CONTROL, "max-age=86400, public, immutable"),
        (header::ACCEPT_RANGES, "bytes"),
    ];
    let len = data.len() as u64;
    let Some(range) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return (base, Body::from(data)).into_response();
    };
    match byte_range(range, len) {
        Some((start, end)) => {
            let content_range = format!("bytes {start}-{end}/{len}");
            let part = data.slice(start as usize..=end as usize);
            (StatusCode::PARTIAL_CONTENT, base, [(header::CONTENT_RANGE, content_range)], Body::from(part))
                .into_response()
        }
        None => {
            (StatusCode::RANGE_NOT_SATISFIABLE, base, [(header::CONTENT_RANGE, format!("bytes */{len}"))])
                .into_response()
        }
    }
}

/// The inclusive bounds of `bytes=a-b`, `bytes=a-` or `bytes=-n` within `len`; `None` if unsatisfiable
/// or not a single range.
fn byte_range(spec: &str, len: u64) -> Option<(u64, u64)> {
    let (first, last) = spec.trim().strip_prefix("bytes=")?.split_once('-')?;
    if len == 0 || last.contains(',') {
        return None;
    }
    let (start, end) = match (first.trim(), last.trim()) {
        ("", n) => {
            let n: u64 = n.parse().ok()?;
            (len.checked_sub(n.min(len))?, len - 1)
        }
        (a, "") => (a.parse().ok()?, len - 1),
        (a, b) => (a.parse().ok()?, b.parse::<u64>().ok()?.min(len - 1)),
    };
    (start <= end && start < len).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let arn = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234".to_string();
        assert_eq!(
            parse("us-west-2.123456789012.channel.abcdEFGH1234.m3u8"),
            Some((arn.clone(), Target::Multivariant))
        );
        assert_eq!(
            parse("us-west-2.123456789012.channel.abcdEFGH1234/st-1/media.m3u8"),
            Some((arn.clone(), Target::Media { stream_id: "st-1" }))
        );
        assert_eq!(
            parse("us-west-2.123456789012.channel.abcdEFGH1234/st-1/42.ts"),
            Some((arn, Target::Segment { stream_id: "st-1", seq: 42 }))
        );
        for bad in [
            "us-west-2.123456789012.stream-key.abc.m3u8",
            "us-west-2.123456789012.channel.abc.def.m3u8",
            "us-west-2.12x.channel.abc.m3u8",
            "us-west-2.1.channel.abc/st-1/x.ts",
            "us-west-2.1.channel.abc/st-1/1.ts/more",
            "us-west-2.1.channel.abc//1.ts",
            "",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn byte_ranges() {
        assert_eq!(byte_range("bytes=0-99", 1000), Some((0, 99)));
        assert_eq!(byte_range("bytes=900-", 1000), Some((900, 999)));
        assert_eq!(byte_range("bytes=-100", 1000), Some((900, 999)));
        assert_eq!(byte_range("bytes=-5000", 1000), Some((0, 999)));
        assert_eq!(byte_range("bytes=990-5000", 1000), Some((990, 999)));
        assert_eq!(byte_range("bytes=1000-", 1000), None);
        assert_eq!(byte_range("bytes=5-1", 1000), None);
        assert_eq!(byte_range("bytes=0-1,5-6", 1000), None);
        assert_eq!(byte_range("items=0-1", 1000), None);
    }
}
