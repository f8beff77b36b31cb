//! LHLS prefetch: the segment being written, sent as it grows. The Amazon IVS Player does not
//! implement low-latency HLS parts; it implements Twitch's LHLS, where a live playlist names the
//! segments being written with `#EXT-X-PREFETCH` and the server sends each one progressively (HTTP/1.1
//! chunked, HTTP/2 data frames) as it is muxed. Low-latency channels list the segment being written
//! (`openivs_media::hls`); a request for it gets the parts written so far at once, then every part as
//! the segmenter finishes it, and ends with the segment. A segment's bytes are
//! exactly its parts' bytes, so what a prefetching player receives is the segment that the playlist
//! lists once it closes, under the same URL.
//!
//! Access is decided before this runs, as for every playback URL (`playback::admit`).

use super::live::{Live, Snapshot};
use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use http_body::Frame;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::mpsc;

/// True when segment `seq` of a low-latency stream is not finished but is being written (what the
/// playlist's `#EXT-X-PREFETCH` names), or is the next one (a player a reload ahead).
pub(super) fn may_stream(live: &Live, snap: &Snapshot, seq: u64) -> bool {
    if live.config.part_target_ms.is_none() || snap.ended {
        return false;
    }
    let next = match &snap.open {
        Some(o) => o.seq,
        None => snap.segments.last().map_or(0, |g| g.seq + 1),
    };
    seq == next || seq == next + 1
}

/// Sends segment `seq` as it is written.
pub(super) fn progressive(live: Arc<Live>, seq: u64, content_type: &'static str) -> Response {
    // Two chunks in flight: the sender waits for a slow viewer instead of queueing parts for it.
    let (tx, rx) = mpsc::channel(2);
    tokio::spawn(feed(live, seq, tx));
    (
        [
            (header::CONTENT_TYPE, content_type),
            // Once complete, the response is the segment itself; a cache keeps only complete ones
            // (an unfinished one ends with a transfer error, below).
            (header::CACHE_CONTROL, "max-age=86400, public, immutable"),
        ],
        Body::new(Chunks { rx }),
    )
        .into_response()
}

/// What a segment that never finishes may cost a viewer: three target durations without a new part
/// (RFC 8216bis's limit for a blocking request).
fn stall_limit(live: &Live) -> Duration {
    Duration::from_millis(3 * live.config.target_ms.max(1) as u64)
}

/// Sends the parts of segment `seq` to `tx` as they appear, then the rest of the closed segment.
async fn feed(live: Arc<Live>, seq: u64, tx: mpsc::Sender<io::Result<Bytes>>) {
    let mut rx = live.watch();
    let mut sent = 0usize;
    let mut source_gone = false;
    loop {
        let snap = rx.borrow_and_update().clone();
        if let Some(g) = snap.segments.iter().find(|g| g.seq == seq) {
            // Closed: what is left of it (its bytes are its parts' bytes, so `sent` is an offset).
            if sent < g.data.len() {
                let _ = tx.send(Ok(g.data.slice(sent..))).await;
            }
            return;
        }
        if let Some(o) = snap.open.as_ref().filter(|o| o.seq == seq) {
            let mut offset = 0;
            for p in &o.parts {
                let end = offset + p.data.len();
                if end > sent {
                    let from = sent.saturating_sub(offset);
                    if tx.send(Ok(p.data.slice(from..))).await.is_err() {
                        return; // the viewer went away
                    }
                    sent = end;
                }
                offset = end;
            }
        } else if !may_stream(&live, &snap, seq) {
            break;
        }
        if source_gone {
            break; // the last snapshot was read: nothing more will come
        }
        tokio::select! {
            changed = tokio::time::timeout(stall_limit(&live), rx.changed()) => match changed {
                Ok(Ok(())) => {}
                // The segmenter finished: its last snapshot is read once more.
                Ok(Err(_)) => source_gone = true,
                Err(_) => break,
            },
            () = tx.closed() => return,
        }
    }
    // The segment will not be finished here (the stream moved on without it, or stalled): the body
    // ends with an error, so the viewer and any cache see an incomplete transfer, not a short segment.
    if sent > 0 {
        let _ = tx.send(Err(io::Error::other("the segment was not finished"))).await;
    }
}

/// A response body of chunks from [`feed`].
struct Chunks {
    rx: mpsc::Receiver<io::Result<Bytes>>,
}

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<io::Result<Frame<Bytes>>>> {
        self.rx.poll_recv(cx).map(|chunk| chunk.map(|r| r.map(Frame::data)))
    }
}

#[cfg(test)]
#[path = "prefetch_tests.rs"]
mod tests;
