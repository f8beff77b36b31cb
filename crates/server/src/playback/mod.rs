//! HLS playback of live channels (ivs-behaviour.md §2, RFC 8216) at the channel's `playbackUrl`,
//! `/api/video/v1/<region>.<account>.channel.<id>.m3u8` (the multivariant playlist), with the media
//! playlist and segments under `/api/video/v1/<region>.<account>.channel.<id>/<stream id>/`.
//!
//! - [`live`]: one stream's playback state (the segmenter task and its snapshots);
//! - [`serve`]: playlists and segments from a snapshot.
//!
//! Private channels need playback tokens, which are not supported yet: they are refused rather than
//! served openly.

pub mod live;
mod serve;

use crate::ingest::Registry;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use std::sync::Arc;

/// What the playback routes share.
pub struct Playback {
    /// The live streams.
    pub registry: Arc<Registry>,
}

/// The playback routes.
pub fn router(playback: Arc<Playback>) -> axum::Router {
    axum::Router::new().route("/api/video/v1/{*path}", axum::routing::get(handle)).with_state(playback)
}

async fn handle(
    State(pb): State<Arc<Playback>>,
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let mut resp = match admit(&pb, &path) {
        Some(refused) => refused,
        None => serve::answer(&pb.registry, &path, &query, &headers, "").await,
    };
    resp.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    resp
}

/// Refuses what the viewer may not see; `None` admits.
fn admit(pb: &Playback, path: &str) -> Option<Response> {
    let (arn, _) = serve::parse(path)?;
    let live = pb.registry.entry(&arn).and_then(|e| e.playback.get().cloned())?;
    live.authorized.then(|| {
        serve::text(
            StatusCode::FORBIDDEN,
            "The channel is private (authorized): playback needs a token, which this server does not accept yet",
        )
    })
}
