//! Serving what a live stream's playback state holds: the multivariant and media playlists, the
//! segments and (low latency) their parts, from memory. Segments and parts are shared `Bytes`.
//!
//! URL layout under the channel's `<region>.<account>.channel.<id>` (the playbackUrl without `.m3u8`):
//! `<stream id>/media.m3u8` (the media playlist), `<stream id>/<seq>.ts` (segment `seq`) and
//! `<stream id>/<seq>.<part>.ts` (its part); for fragmented MP4 `<seq>.m4s`, `<seq>.<part>.m4s` and
//! `<stream id>/init<n>.mp4` (the initialization section, a new `n` when codecs change). Segment and part URLs never repeat across streams, so they
//! are cached for a day; playlists for a second, and blocking reloads (rfc8216bis §6.2.5.2) not at all
//! (they answer the moment something new exists, and carry the viewer's own URI suffix).

use super::live::{Live, Snapshot};
use crate::ingest::Registry;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use openivs_media::hls::{self, MediaPlaylist, Uris};
use openivs_media::segmenter::Container;
use openivs_model::arn::{Arn, ResourceType};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

/// What a playback path asks for.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Target<'a> {
    Multivariant,
    Media { stream_id: &'a str },
    Segment { stream_id: &'a str, seq: u64, ext: Ext },
    Part { stream_id: &'a str, seq: u64, index: u32, ext: Ext },
    Init { stream_id: &'a str, id: u32 },
}

/// The extension of a segment or part URI, which names its container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ext {
    Ts,
    M4s,
}

impl Ext {
    fn of(container: Container) -> Ext {
        match container {
            Container::Ts => Ext::Ts,
            Container::Fmp4 => Ext::M4s,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Ext::Ts => "ts",
            Ext::M4s => "m4s",
        }
    }

    pub(super) fn content_type(self) -> &'static str {
        match self {
            Ext::Ts => "video/mp2t",
            Ext::M4s => "video/mp4",
        }
    }
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
                f => match f.strip_prefix("init").and_then(|r| r.strip_suffix(".mp4")) {
                    Some(id) => Target::Init { stream_id, id: number(id)? },
                    None => {
                        let (stem, ext) = match f.strip_suffix(".ts") {
                            Some(stem) => (stem, Ext::Ts),
                            None => (f.strip_suffix(".m4s")?, Ext::M4s),
                        };
                        match stem.split_once('.') {
                            None => Target::Segment { stream_id, seq: number(stem)?, ext },
                            Some((seq, index)) => {
                                Target::Part { stream_id, seq: number(seq)?, index: number(index)?, ext }
                            }
                        }
                    }
                },
            };
            (name, target)
        }
    };
    let mut fields = name.split('.');
    let (region, account, kind, id) = (fields.next()?, fields.next()?, fields.next()?, fields.next()?);
    if kind != "channel" || fields.next().is_some() {
        return None;
    }
    // The checks of `Arn::parse`, without its allocations (this runs on every request): the fields
    // hold none of `:` or `/`, so the string built is the one `Arn`'s `Display` would give.
    let region_ok = region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let account_ok = account.bytes().all(|b| b.is_ascii_digit());
    let id_ok = id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if region.is_empty() || account.is_empty() || id.is_empty() || !(region_ok && account_ok && id_ok) {
        return None;
    }
    let mut arn = String::with_capacity(32 + region.len() + account.len() + id.len());
    for piece in ["arn:aws:ivs:", region, ":", account, ":channel/", id] {
        arn.push_str(piece);
    }
    debug_assert!(Arn::parse(&arn).is_some_and(|a| a.resource_type == ResourceType::Channel));
    Some((arn, target))
}

/// Decimal digits only (no sign, no `+`), as URIs this server wrote.
fn number<T: std::str::FromStr>(s: &str) -> Option<T> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// Names segments and parts relative to the media playlist (the viewer's suffix is spliced in after).
struct Names {
    ext: &'static str,
}

impl Uris for Names {
    fn segment(&self, out: &mut String, seq: u64) {
        let _ = write!(out, "{seq}.{}", self.ext);
    }
    fn part(&self, out: &mut String, seq: u64, index: u32) {
        let _ = write!(out, "{seq}.{index}.{}", self.ext);
    }
    fn init(&self, out: &mut String, id: u32) {
        let _ = write!(out, "init{id}.mp4");
    }
}

/// The snapshot's media playlist with a slot for the viewer's suffix after every URI, rendered by
/// the first request that reads this snapshot and shared by all the others (the segmenter publishes
/// a few snapshots a second; viewers reload far more often than that, all together).
fn rendered<'s>(live: &Live, snap: &'s Snapshot) -> &'s hls::Spliced {
    snap.media_playlist.get_or_init(|| {
        let cfg = &live.config;
        hls::media_playlist_spliced(
            &MediaPlaylist {
                segments: &snap.segments,
                open: snap.open.as_ref(),
                target_ms: cfg.target_ms.max(snap.longest_ms),
                part_target_ms: cfg.part_target_ms,
                ended: snap.ended,
            },
            &Names { ext: Ext::of(cfg.container).as_str() },
        )
    })
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
    let Some((arn, target)) = parse(path) else {
        return text(StatusCode::NOT_FOUND, "No such playback URL");
    };
    // The multivariant playlist names the channel's live stream; everything else names its stream,
    // which may have ended a moment ago (its viewers still read the last playlist and segments).
    let entry = match &target {
        Target::Multivariant => registry.entry(&arn),
        Target::Media { stream_id }
        | Target::Segment { stream_id, .. }
        | Target::Part { stream_id, .. }
        | Target::Init { stream_id, .. } => match registry.stream(&arn, stream_id) {
            Some(e) => Some(e),
            None => return text(StatusCode::NOT_FOUND, "That stream has ended"),
        },
    };
    let Some(live) = entry.and_then(|e| e.playback.get().cloned()) else {
        return text(StatusCode::NOT_FOUND, "The channel is not live");
    };
    let snap = live.snapshot();
    let Some(info) = snap.info.as_ref() else {
        return text(StatusCode::NOT_FOUND, "The stream has no segments yet");
    };
    match target {
        Target::Multivariant => {
            let name = path.trim_end_matches(".m3u8");
            let body = hls::multivariant(info, &format!("{name}/{}/media.m3u8{uri_suffix}", live.stream_id));
            playlist(body, false, headers)
        }
        Target::Segment { ext, .. } | Target::Part { ext, .. } if ext != Ext::of(live.config.container) => {
            text(StatusCode::NOT_FOUND, "This stream's segments are in another container")
        }
        Target::Media { .. } => media(&live, snap, query, headers, uri_suffix).await,
        Target::Segment { seq, ext, .. } => match snap.segments.iter().find(|s| s.seq == seq) {
            Some(s) => ranged(s.data.clone(), ext.content_type(), headers),
            None if super::prefetch::may_stream(&live, &snap, seq) => {
                super::prefetch::progressive(live, seq, ext.content_type())
            }
            None => text(StatusCode::NOT_FOUND, "No such segment (it left the window or is not ready)"),
        },
        Target::Part { seq, index, ext, .. } => part(&live, snap, seq, index, ext, headers).await,
        Target::Init { id, .. } => {
            let inits = snap.segments.iter().filter_map(|s| s.init.as_ref());
            match inits.chain(snap.open.as_ref().and_then(|o| o.init.as_ref())).find(|i| i.id == id) {
                Some(i) => ranged(i.data.clone(), "video/mp4", headers),
                None => text(StatusCode::NOT_FOUND, "No such initialization section"),
            }
        }
    }
}

/// A blocking playlist reload's `_HLS_msn` and `_HLS_part` (rfc8216bis §6.2.5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Reload {
    msn: u64,
    part: Option<u32>,
}

/// The delivery directives of a query; `Err` for malformed ones (400).
fn reload(query: &str) -> Result<Option<Reload>, &'static str> {
    let (mut msn, mut part) = (None, None);
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "_HLS_msn" => msn = Some(number(v).ok_or("_HLS_msn must be a media sequence number")?),
            "_HLS_part" => part = Some(number(v).ok_or("_HLS_part must be a part index")?),
            _ => {}
        }
    }
    match (msn, part) {
        (None, Some(_)) => Err("_HLS_part needs _HLS_msn"),
        (None, None) => Ok(None),
        (Some(msn), part) => Ok(Some(Reload { msn, part })),
    }
}

/// The newest part: (segment, index).
fn newest_part(s: &Snapshot) -> Option<(u64, u32)> {
    if let Some(o) = s.open.as_ref().filter(|o| !o.parts.is_empty()) {
        return Some((o.seq, o.parts.len() as u32 - 1));
    }
    s.segments.last().map(|g| (g.seq, (g.parts.len() as u32).max(1) - 1))
}

/// True once the snapshot holds what `r` waits for: segment `msn` finished, or part `part` of it
/// (a part index past a finished segment's last part means part 0 of the next, §6.2.5.2).
fn satisfies(s: &Snapshot, r: Reload) -> bool {
    if s.ended {
        return true;
    }
    let Some(part) = r.part else {
        return s.segments.last().is_some_and(|g| g.seq >= r.msn);
    };
    let wanted = match s.segments.iter().find(|g| g.seq == r.msn) {
        Some(g) if !g.parts.is_empty() && part as usize >= g.parts.len() => (r.msn + 1, 0),
        _ => (r.msn, part),
    };
    newest_part(s).is_some_and(|newest| newest >= wanted)
}

/// How far ahead of the playlist a request may ask (§6.2.5.2): two segments, or the Advance Part
/// Limit of three seconds' worth of parts.
fn too_far(s: &Snapshot, r: Reload, part_target_ms: i64) -> bool {
    let last = s.segments.last().map(|g| g.seq as i64).or(s.open.as_ref().map(|o| o.seq as i64 - 1));
    if r.msn as i64 > last.unwrap_or(-1) + 2 {
        return true;
    }
    let limit = (3000 + part_target_ms - 1) / part_target_ms.max(1);
    match (r.part, newest_part(s)) {
        (Some(p), Some((seq, newest))) if r.msn == seq => i64::from(p) - i64::from(newest) > limit,
        (Some(p), Some((seq, _))) if r.msn > seq => i64::from(p) > limit,
        _ => false,
    }
}

/// Waits (at most `limit`) for a snapshot that satisfies `ready`; `None` on time-out.
async fn wait_for(live: &Live, limit: Duration, ready: impl Fn(&Snapshot) -> bool) -> Option<Arc<Snapshot>> {
    let mut rx = live.watch();
    match tokio::time::timeout(limit, rx.wait_for(|s| ready(s))).await {
        Ok(Ok(s)) => Some(s.clone()),
        // The segmenter finished: its last snapshot (ended) is the answer.
        Ok(Err(_)) => Some(live.snapshot()),
        Err(_) => None,
    }
}

async fn media(
    live: &Live,
    mut snap: Arc<Snapshot>,
    query: &str,
    headers: &HeaderMap,
    uri_suffix: &str,
) -> Response {
    let cfg = &live.config;
    let directive = match reload(query) {
        Ok(d) => d.filter(|_| cfg.part_target_ms.is_some()),
        Err(why) => return text(StatusCode::BAD_REQUEST, why),
    };
    if let (Some(r), Some(part_target)) = (directive, cfg.part_target_ms)
        && !satisfies(&snap, r)
    {
        if too_far(&snap, r, part_target) {
            return text(StatusCode::BAD_REQUEST, "_HLS_msn/_HLS_part are too far ahead of the playlist");
        }
        // §6.2.5.2: a server that cannot answer within three target durations gives up.
        let limit = Duration::from_millis(3 * cfg.target_ms as u64);
        match wait_for(live, limit, |s| satisfies(s, r)).await {
            Some(s) => snap = s,
            None => {
                return text(StatusCode::SERVICE_UNAVAILABLE, "The requested part did not appear in time");
            }
        }
    }
    let spliced = rendered(live, &snap);
    if accepts_gzip(headers)
        && let Some(zipped) = snap.media_playlist_gz.gzip(spliced, uri_suffix)
    {
        return gzipped(zipped, directive.is_some());
    }
    playlist(spliced.with_suffix(uri_suffix), directive.is_some(), headers)
}

/// The bytes of part `index` of segment `seq`, if the snapshot has them.
fn find_part(s: &Snapshot, seq: u64, index: u32) -> Option<axum::body::Bytes> {
    let parts = match s.open.as_ref().filter(|o| o.seq == seq) {
        Some(o) => &o.parts[..],
        None => &s.segments.iter().find(|g| g.seq == seq)?.parts[..],
    };
    parts.get(index as usize).map(|p| p.data.clone())
}

/// True while part `index` of segment `seq` may still appear soon: the next part of the open
/// segment, or the first of the next (what `EXT-X-PRELOAD-HINT` names).
fn may_come(s: &Snapshot, seq: u64, index: u32) -> bool {
    if s.ended {
        return false;
    }
    let next_seq = s.segments.last().map_or(0, |g| g.seq + 1);
    match &s.open {
        Some(o) if o.seq == seq => index as usize <= o.parts.len() + 1,
        Some(o) => seq == o.seq + 1 && index == 0,
        None => seq == next_seq && index == 0,
    }
}

async fn part(
    live: &Live,
    snap: Arc<Snapshot>,
    seq: u64,
    index: u32,
    ext: Ext,
    headers: &HeaderMap,
) -> Response {
    if let Some(data) = find_part(&snap, seq, index) {
        return ranged(data, ext.content_type(), headers);
    }
    if live.config.part_target_ms.is_some() && may_come(&snap, seq, index) {
        // A preload hint: answer once the part exists (or once it is clear it never will).
        let limit = Duration::from_millis(3 * live.config.target_ms as u64);
        let ready = |s: &Snapshot| find_part(s, seq, index).is_some() || !may_come(s, seq, index);
        if let Some(data) = wait_for(live, limit, ready).await.and_then(|s| find_part(&s, seq, index)) {
            return ranged(data, ext.content_type(), headers);
        }
    }
    text(StatusCode::NOT_FOUND, "No such part (it left the window or never came)")
}

pub(super) fn text(status: StatusCode, message: &'static str) -> Response {
    (status, [(header::CACHE_CONTROL, "no-cache"), (header::CONTENT_TYPE, "text/plain")], message)
        .into_response()
}

/// Playlists change with every segment (or part): cached for a second at most, and the answer to a
/// blocking reload not at all. Gzipped for clients that accept it (a low-latency playlist is mostly
/// repeated part URIs and shrinks several times, and players reload it every part).
fn playlist(body: String, blocking: bool, headers: &HeaderMap) -> Response {
    if let Some(zipped) = accepts_gzip(headers).then(|| super::gzip::whole(body.as_bytes())).flatten() {
        return gzipped(zipped, blocking);
    }
    (playlist_headers(blocking), body).into_response()
}

fn gzipped(zipped: Vec<u8>, blocking: bool) -> Response {
    (playlist_headers(blocking), [(header::CONTENT_ENCODING, "gzip")], zipped).into_response()
}

fn playlist_headers(blocking: bool) -> [(header::HeaderName, &'static str); 3] {
    let cache = if blocking { "no-cache" } else { "max-age=1, public" };
    [
        (header::CONTENT_TYPE, "application/vnd.apple.mpegurl"),
        (header::CACHE_CONTROL, cache),
        (header::VARY, "Accept-Encoding"),
    ]
}

/// True when `Accept-Encoding` lists gzip (or `*`) without `q=0` (RFC 9110 §12.5.3).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).any(|v| {
        v.split(',').any(|item| {
            let mut fields = item.split(';').map(str::trim);
            let coding = fields.next().unwrap_or_default();
            let refused = fields
                .any(|f| f.strip_prefix("q=").is_some_and(|q| q.parse::<f32>().is_ok_and(|q| q <= 0.0)));
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
    })
}

/// A segment, whole or the single byte range asked for (RFC 9110 §14); the bytes are shared.
fn ranged(data: axum::body::Bytes, content_type: &'static str, headers: &HeaderMap) -> Response {
    let base = [
        (header::CONTENT_TYPE, content_type),
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
#[path = "serve_tests.rs"]
mod tests;
