//! One live stream's playback state: a task reads the stream's hub into the segmenter and publishes
//! the segment window after every new part or segment as an immutable snapshot (a `watch` channel),
//! which every request reads, and blocking playlist reloads wait on, without copying segments.

use crate::http::file_backed::{self, Registration};
use crate::ingest::registry::LiveEntry;
use openivs_media::hls::{Spliced, VariantInfo, variant_info};
use openivs_media::hub::DEFAULT_QUEUE;
use openivs_media::segmenter::{Container, OpenSegment, Segment, Segmenter, SegmenterConfig};
use openivs_model::{Channel, ChannelLatencyMode, ContainerFormat};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use tokio::sync::watch;

/// What playback serves of one stream, as of its latest segment.
#[derive(Default)]
pub struct Snapshot {
    /// The segment window, oldest first (the bytes are shared with the segmenter, not copied).
    pub segments: Vec<Segment>,
    /// The segment being written and its finished parts.
    pub open: Option<OpenSegment>,
    /// The rendition as the multivariant playlist describes it.
    pub info: Option<VariantInfo>,
    /// True once the stream ended.
    pub ended: bool,
    /// The longest segment of the stream so far, ms.
    pub longest_ms: i64,
    /// The media playlist of this window, once a request rendered it (without the viewers' suffixes).
    pub media_playlist: OnceLock<Spliced>,
    /// That playlist gzipped for the viewers' suffix lengths (see `gzip`).
    pub(super) media_playlist_gz: super::gzip::Forms,
}

/// The playback side of a live stream.
pub struct Live {
    /// The stream's id (part of segment URLs, so a new stream never reuses a cached URL).
    pub stream_id: String,
    /// The channel is private (`authorized`): playback needs a token.
    pub authorized: bool,
    /// Segmenting parameters from the channel's latency mode.
    pub config: SegmenterConfig,
    snapshot: watch::Receiver<Arc<Snapshot>>,
}

impl Live {
    /// The latest snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.borrow().clone()
    }

    /// A receiver of the snapshots to come (for blocking requests).
    pub fn watch(&self) -> watch::Receiver<Arc<Snapshot>> {
        self.snapshot.clone()
    }
}

/// The wall clock, Unix ms.
fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Starts segmenting a stream that just went live, with the channel's settings as they are now;
/// the result is kept on the live entry. Subscribes at once so no keyframe is missed.
pub fn start(entry: &LiveEntry, channel: &Channel) {
    let config = match channel.latency_mode {
        Some(ChannelLatencyMode::Normal) => SegmenterConfig::NORMAL,
        _ => SegmenterConfig::LOW,
    };
    let config = config.with_container(match channel.container_format {
        Some(ContainerFormat::FragmentedMp4) => Container::Fmp4,
        _ => Container::Ts,
    });
    let (tx, rx) = watch::channel(Arc::new(Snapshot::default()));
    let live = Live {
        stream_id: entry.stream_id.clone(),
        authorized: channel.authorized.unwrap_or(false),
        config,
        snapshot: rx,
    };
    if entry.playback.set(Arc::new(live)).is_err() {
        return;
    }
    let mut reader = entry.hub.subscribe(DEFAULT_QUEUE);
    tokio::spawn(async move {
        let mut seg = Segmenter::new(config);
        // The window's segments, registered to be sent with sendfile while they are in it.
        let mut files: HashMap<u64, Registration> = HashMap::new();
        while let Some(item) = reader.recv().await {
            let before = seg.generation();
            seg.push_at(item, Some(unix_ms()));
            if seg.generation() != before {
                let snap = snapshot(&seg, false);
                register(&mut files, &snap.segments);
                tx.send_replace(snap);
            }
        }
        seg.finish();
        tx.send_replace(snapshot(&seg, true));
        if seg.rejected() > 0 {
            tracing::debug!(rejected = seg.rejected(), dropped = reader.dropped(), "segmenter finished");
        }
    });
}

/// Registers the window's new segments with [`file_backed`] and drops those that left it.
fn register(files: &mut HashMap<u64, Registration>, window: &[Segment]) {
    files.retain(|seq, _| window.iter().any(|s| s.seq == *seq));
    for s in window {
        if let std::collections::hash_map::Entry::Vacant(slot) = files.entry(s.seq) {
            slot.insert(file_backed::register(&s.data));
        }
    }
}

fn snapshot(seg: &Segmenter, ended: bool) -> Arc<Snapshot> {
    let segments: Vec<Segment> = seg.segments().iter().cloned().collect();
    let (video, audio) = (seg.video().map(|v| v.as_ref()), seg.audio().map(|a| a.as_ref()));
    let open = seg.open().filter(|o| !o.parts.is_empty());
    let info = (!segments.is_empty() || open.is_some()).then(|| variant_info(video, audio, &segments));
    let longest_ms = seg.longest_segment_ms();
    Arc::new(Snapshot {
        segments,
        open,
        info,
        ended,
        longest_ms,
        media_playlist: OnceLock::new(),
        media_playlist_gz: Default::default(),
    })
}
