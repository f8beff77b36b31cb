//! The live streams of this server, one per channel: what GetStream and ListStreams show, what
//! StopStream stops, and each stream's hub for its readers (HLS playback; the recorder to come). It is the
//! [`LiveStreams`] implementation that control uses.
//!
//! A stream that ended stays reachable by its id for [`ENDED_GRACE`], for playback only: viewers who
//! are still playing it must read its last media playlist (closed, with `#EXT-X-ENDLIST`) and the
//! segments they have not fetched yet, or their players report an error instead of the end.

use crate::control::live::{LiveStream, LiveStreams};
use crate::store::Scope;
use openivs_media::hub::Hub;
use openivs_media::ingest::StreamMetadata;
use openivs_media::stats::IngestStats;
use openivs_media::{AudioConfig, VideoConfig};
use openivs_model::{StreamHealth, Timestamp};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Locks, carrying on after a panic elsewhere (the data are plain values).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Codec configurations and metadata seen so far in a stream.
#[derive(Default, Clone)]
pub struct MediaState {
    /// The latest video configuration.
    pub video: Option<Arc<VideoConfig>>,
    /// The latest audio configuration.
    pub audio: Option<Arc<AudioConfig>>,
    /// The latest `onMetaData`.
    pub metadata: Option<StreamMetadata>,
}

/// One live stream.
pub struct LiveEntry {
    /// Channel ARN.
    pub channel_arn: String,
    /// `st-…` id.
    pub stream_id: String,
    /// The channel's owner.
    pub scope: Scope,
    /// When it went live.
    pub start_time: Timestamp,
    /// Order of going live (ListStreams pages by it).
    pub seq: u64,
    /// Incoming bitrate, frame rate, keyframe interval.
    pub stats: Mutex<IngestStats>,
    /// Codec configurations and metadata.
    pub media: Mutex<MediaState>,
    /// Health as last computed by the stream's monitor.
    pub health: Mutex<StreamHealth>,
    /// The SRT link's latest figures (none over RTMP).
    pub link: Mutex<Option<openivs_media::ingest::LinkStats>>,
    /// Frames for readers.
    pub hub: Hub,
    /// HLS playback of the stream, once started.
    pub playback: std::sync::OnceLock<Arc<crate::playback::live::Live>>,
    /// Its playback sessions, for `viewerCount`.
    pub viewers: crate::playback::viewers::Viewers,
    /// Events other parts of the server (the recorder) add to the stream's session while its monitor
    /// writes it; `None` once the monitor wrote the session for the last time (later events are
    /// written to the stored session directly, [`super::session::add_event`]).
    pub pending_events: Mutex<Option<Vec<openivs_model::StreamEvent>>>,
    stop: watch::Sender<bool>,
}

impl LiveEntry {
    /// A stream going live now.
    pub fn new(channel_arn: String, stream_id: String, scope: Scope, seq: u64) -> Self {
        LiveEntry {
            channel_arn,
            stream_id,
            scope,
            start_time: Timestamp::now(),
            seq,
            stats: Mutex::new(IngestStats::new(std::time::Instant::now())),
            media: Mutex::new(MediaState::default()),
            health: Mutex::new(StreamHealth::Healthy),
            link: Mutex::new(None),
            hub: Hub::new(),
            playback: std::sync::OnceLock::new(),
            viewers: Default::default(),
            pending_events: Mutex::new(Some(Vec::new())),
            stop: watch::channel(false).0,
        }
    }

    /// Resolves to true when the encoder must be disconnected.
    pub fn stop_signal(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    fn view(&self) -> LiveStream {
        LiveStream {
            channel_arn: self.channel_arn.clone(),
            stream_id: self.stream_id.clone(),
            start_time: self.start_time,
            health: lock(&self.health).clone(),
            // Distinct playback sessions seen lately (playback::viewers says why 15 s).
            viewer_count: self.viewers.count(std::time::Instant::now()) as i64,
            seq: self.seq,
        }
    }
}

/// How long an ended stream's playback stays served to its viewers: a NORMAL player a minute's window
/// behind (three 6 s segments plus a reload interval) finds its last playlist and segments well within.
pub const ENDED_GRACE: Duration = Duration::from_secs(60);

/// Ended streams kept at most (the oldest go first), so encoders that reconnect in a loop cannot grow
/// memory: each holds its segment window.
const ENDED_MAX: usize = 256;

/// The live streams by channel ARN.
#[derive(Default)]
pub struct Registry {
    live: Mutex<HashMap<String, Arc<LiveEntry>>>,
    /// Streams that ended lately, oldest first, with when they ended.
    ended: Mutex<VecDeque<(Instant, Arc<LiveEntry>)>>,
    next_seq: AtomicU64,
}

impl Registry {
    /// The next going-live order number.
    pub fn next_seq(&self) -> u64 {
        self.next_seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Makes the stream its channel's live one; false when the channel is already live.
    pub fn try_insert(&self, entry: Arc<LiveEntry>) -> bool {
        let mut live = lock(&self.live);
        if live.contains_key(&entry.channel_arn) {
            return false;
        }
        live.insert(entry.channel_arn.clone(), entry);
        true
    }

    /// Removes the stream if it is still its channel's live one; a stream that was played is kept for
    /// its viewers for [`ENDED_GRACE`] ([`Self::stream`] finds it).
    pub fn remove(&self, entry: &Arc<LiveEntry>) {
        {
            let mut live = lock(&self.live);
            if live.get(&entry.channel_arn).is_some_and(|e| Arc::ptr_eq(e, entry)) {
                live.remove(&entry.channel_arn);
            }
        }
        if entry.playback.get().is_none() {
            return;
        }
        let now = Instant::now();
        let mut ended = lock(&self.ended);
        Self::prune(&mut ended, now);
        if ended.iter().any(|(_, e)| Arc::ptr_eq(e, entry)) {
            return;
        }
        if ended.len() >= ENDED_MAX {
            ended.pop_front();
        }
        ended.push_back((now, entry.clone()));
    }

    fn prune(ended: &mut VecDeque<(Instant, Arc<LiveEntry>)>, now: Instant) {
        while ended.front().is_some_and(|(at, _)| now.duration_since(*at) >= ENDED_GRACE) {
            ended.pop_front();
        }
    }

    /// The live stream of a channel.
    pub fn entry(&self, channel_arn: &str) -> Option<Arc<LiveEntry>> {
        lock(&self.live).get(channel_arn).cloned()
    }

    /// Stream `stream_id` of a channel: the live one, or one that ended less than [`ENDED_GRACE`] ago.
    pub fn stream(&self, channel_arn: &str, stream_id: &str) -> Option<Arc<LiveEntry>> {
        if let Some(e) = self.entry(channel_arn).filter(|e| e.stream_id == stream_id) {
            return Some(e);
        }
        let mut ended = lock(&self.ended);
        Self::prune(&mut ended, Instant::now());
        ended
            .iter()
            .rev()
            .find(|(_, e)| e.stream_id == stream_id && e.channel_arn == channel_arn)
            .map(|(_, e)| e.clone())
    }

    /// Disconnects every encoder (shutdown).
    pub fn stop_all(&self) {
        let all: Vec<_> = lock(&self.live).drain().map(|(_, e)| e).collect();
        for e in all {
            e.stop.send_replace(true);
        }
    }
}

impl LiveStreams for Registry {
    fn get(&self, channel_arn: &str) -> Option<LiveStream> {
        self.entry(channel_arn).map(|e| e.view())
    }

    fn list(&self, scope: &Scope) -> Vec<LiveStream> {
        let mut out: Vec<_> =
            lock(&self.live).values().filter(|e| &e.scope == scope).map(|e| e.view()).collect();
        out.sort_by_key(|s| s.seq);
        out
    }

    fn stop(&self, channel_arn: &str) -> bool {
        // Off the list at once, so GetStream right after StopStream says the channel is not live.
        let Some(e) = lock(&self.live).remove(channel_arn) else { return false };
        e.stop.send_replace(true);
        true
    }

    /// Puts the metadata into the live stream's hub at the stream's latest time, so the segmenter
    /// writes it as an ID3 tag (TS) or `emsg` (fMP4) next to the frames that arrived with it.
    fn put_metadata(&self, channel_arn: &str, metadata: &str) -> bool {
        let Some(entry) = self.entry(channel_arn) else { return false };
        entry.hub.put_metadata(metadata.to_owned());
        true
    }
}
