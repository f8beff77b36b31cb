//! The recorder: one task per recording reads the stream's hub into the recording writer
//! (`openivs_media::recording`: ~10 s TS segments with ~1 s byte ranges, the playlists) and queues
//! what it writes for upload, never waiting on the store.
//!
//! A recording starts with its stream: the prefix is validated with an empty `events/ivs-check` (the
//! real recording has one), `events/recording-started.json` follows once the rendition is known, the
//! playlists are rewritten after every segment (the media playlist always ends with
//! `#EXT-X-ENDLIST`, as IVS's does while live), and at the end `events/recording-ended.json` (or
//! `recording-failed.json` when objects had to be dropped) is written after everything else.
//!
//! With `recordingReconnectWindowSeconds`, a stream that starts again on the channel within the window
//! continues the same recording: same prefix, segment numbers going on, `#EXT-X-DISCONTINUITY` before
//! the new stream's first segment, and every stream id in the events (ivs-recording-events.md §4).

use super::buckets::{Bucket, Buckets};
use super::files::{self, RenditionFile, Status};
use super::journal::{Journal, OpenRecording};
use super::thumbnails::Thumbnails;
use super::upload::{Spool, Uploads};
use crate::control::ids;
use crate::ingest::registry::LiveEntry;
use crate::ingest::session;
use crate::store::Store;
use bytes::Bytes;
use openivs_media::hub::Reader;
use openivs_media::recording::playlist::{self, Entry};
use openivs_media::recording::{RecordedSegment, RecordingWriter, Rendition};
use openivs_model::arn::Arn;
use openivs_model::{Channel, RecordingConfiguration, Timestamp};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// The recorder's hub queue: larger than playback's, since a recorder that falls behind loses
/// frames until the next keyframe, and a recording keeps everything.
const QUEUE: usize = 4096;
/// How long the prefix check may take before the recording fails to start.
const PROBE_TIMEOUT: Duration = Duration::from_secs(15);
/// The event type of recording events.
const RECORDING_CHANGE: &str = "IVS Recording State Change";

/// Starts and continues recordings.
pub struct Recorder {
    buckets: Arc<Buckets>,
    spool: Arc<Spool>,
    store: Arc<dyn Store>,
    journal: Journal,
    /// Recordings whose stream ended and that wait out their reconnect window, by channel ARN.
    waiting: Mutex<HashMap<String, Waiting>>,
    next_id: std::sync::atomic::AtomicU64,
    /// Set when the server stops: recordings end without waiting out their reconnect window.
    stopping: tokio::sync::watch::Sender<bool>,
    /// Recordings in progress, and a signal each time one ends.
    active: std::sync::atomic::AtomicUsize,
    ended: tokio::sync::Notify,
}

struct Waiting {
    config_arn: String,
    /// Which recording waits.
    id: u64,
    next: mpsc::Sender<Joined>,
}

/// A stream joining a recording.
struct Joined {
    entry: Arc<LiveEntry>,
    reader: Reader,
}

/// What a recording needs to know of its channel and configuration.
struct Plan {
    channel_arn: String,
    channel_id: String,
    account: String,
    bucket: String,
    window: Duration,
    /// `renditionSelection` NONE: "does not record any video"; audio only.
    video: bool,
    /// `thumbnailConfiguration`.
    thumbnails: Option<openivs_model::ThumbnailConfiguration>,
}

fn unix_ms() -> i64 {
    Timestamp::now().unix_millis()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Recorder {
    /// A recorder writing to `buckets`, spooling to `spool`, adding events to sessions in `store`,
    /// keeping its open recordings in `journal`.
    pub fn new(buckets: Arc<Buckets>, spool: Arc<Spool>, store: Arc<dyn Store>, journal: Journal) -> Self {
        Recorder {
            buckets,
            spool,
            store,
            journal,
            waiting: Mutex::new(HashMap::new()),
            next_id: Default::default(),
            stopping: tokio::sync::watch::channel(false).0,
            active: Default::default(),
            ended: tokio::sync::Notify::new(),
        }
    }

    /// At server stop, after the streams were stopped: ends every recording now (no reconnect
    /// window) and waits up to `grace` for their last objects; the number still unfinished then
    /// (their store is down; the journal ends them at the next start).
    pub async fn stop(&self, grace: Duration) -> usize {
        use std::sync::atomic::Ordering;
        self.stopping.send_replace(true);
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            let ended = self.ended.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            if self.active.load(Ordering::Acquire) == 0
                || tokio::time::timeout_at(deadline, ended).await.is_err()
            {
                return self.active.load(Ordering::Acquire);
            }
        }
    }

    /// Ends the recordings a killed server left open ([`super::journal::recover`]); how many.
    pub async fn recover(&self) -> usize {
        super::journal::recover(&self.journal, &self.buckets, self.store.as_ref()).await
    }

    /// The buckets recordings go to.
    pub fn buckets(&self) -> &Arc<Buckets> {
        &self.buckets
    }

    /// Records a stream that just went live on a channel with this recording configuration:
    /// continues the channel's recording that waits in its reconnect window, or starts one.
    /// Subscribes at once, so the first keyframe is not missed.
    pub fn attach(
        self: &Arc<Self>,
        entry: &Arc<LiveEntry>,
        _channel: &Channel,
        config: &RecordingConfiguration,
    ) {
        let config_arn = config.arn.clone().unwrap_or_default();
        let joined = Joined { entry: entry.clone(), reader: entry.hub.subscribe(QUEUE) };
        let mut waiting = lock(&self.waiting);
        let joined = match waiting.remove(&entry.channel_arn) {
            Some(w) if w.config_arn == config_arn => match w.next.try_send(joined) {
                Ok(()) => {
                    waiting.insert(entry.channel_arn.clone(), w);
                    return;
                }
                // Its task is finishing: this stream starts a recording of its own.
                Err(e) => e.into_inner(),
            },
            // A recording waiting with another configuration ends when its window does; this
            // stream starts one with the channel's configuration now.
            _ => joined,
        };
        let arn = Arn::parse(&entry.channel_arn);
        let plan = Plan {
            channel_arn: entry.channel_arn.clone(),
            channel_id: arn.as_ref().map(|a| a.id.clone()).unwrap_or_default(),
            account: entry.scope.account.clone(),
            bucket: config
                .destination_configuration
                .as_ref()
                .and_then(|d| d.s3.as_ref())
                .and_then(|s| s.bucket_name.clone())
                .unwrap_or_default(),
            window: Duration::from_secs(
                u64::try_from(config.recording_reconnect_window_seconds.unwrap_or(0)).unwrap_or(0).min(300),
            ),
            // ALL and CUSTOM both record the one rendition a channel has today, the source (IVS:
            // a selected rendition that is not there is replaced by the best available one).
            video: config.rendition_configuration.as_ref().and_then(|r| r.rendition_selection.as_ref())
                != Some(&openivs_model::RenditionConfigurationRenditionSelection::None),
            thumbnails: config.thumbnail_configuration.clone(),
        };
        let id = self.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(4);
        if plan.window > Duration::ZERO {
            waiting.insert(entry.channel_arn.clone(), Waiting { config_arn, id, next: tx });
        }
        drop(waiting);
        tokio::spawn(self.clone().run(plan, id, joined, rx));
    }

    /// Records a failure to start on the stream's session (and the log).
    async fn start_failure(&self, plan: &Plan, entry: &LiveEntry, reason: &str, why: &str) {
        tracing::error!(channel = %plan.channel_arn, bucket = %plan.bucket, reason, error = why, "recording failed to start; the stream is not recorded");
        let mut ev = session::event("Recording Start Failure", RECORDING_CHANGE, Timestamp::now());
        ev.code = Some(reason.to_string());
        session::add_event(self.store.as_ref(), entry, ev, true).await;
    }

    /// Ends the wait of recording `id`; a stream that joined meanwhile is returned instead.
    fn leave(&self, channel_arn: &str, id: u64, rx: &mut mpsc::Receiver<Joined>) -> Option<Joined> {
        let mut waiting = lock(&self.waiting);
        // Streams join while holding the lock, so none can join between this look and the removal.
        if let Ok(j) = rx.try_recv() {
            return Some(j);
        }
        if waiting.get(channel_arn).is_some_and(|w| w.id == id) {
            waiting.remove(channel_arn);
        }
        None
    }

    async fn run(self: Arc<Self>, plan: Plan, id: u64, first: Joined, more: mpsc::Receiver<Joined>) {
        use std::sync::atomic::Ordering;
        self.active.fetch_add(1, Ordering::AcqRel);
        self.clone().record(plan, id, first, more).await;
        self.active.fetch_sub(1, Ordering::AcqRel);
        self.ended.notify_waiters();
    }

    async fn record(self: Arc<Self>, plan: Plan, id: u64, first: Joined, mut more: mpsc::Receiver<Joined>) {
        let bucket = match self.buckets.bucket(&plan.bucket) {
            Ok(b) => b,
            Err(e) => {
                self.start_failure(&plan, &first.entry, "ValidationException", &e.to_string()).await;
                self.forget(&plan.channel_arn, id);
                return;
            }
        };
        let started_ms = first.entry.start_time.unix_millis();
        let recording_id = ids::alnum(12);
        let prefix = files::prefix(&plan.account, &plan.channel_id, started_ms, &recording_id);
        if let Err(why) = probe(&bucket, &format!("{prefix}/events/ivs-check")).await {
            self.start_failure(&plan, &first.entry, "AccessDeniedException", &why).await;
            self.forget(&plan.channel_arn, id);
            return;
        }
        let thumbs = Thumbnails::new(plan.thumbnails.as_ref());
        let mut rec = Recording {
            recorder: self.clone(),
            uploads: Uploads::start(bucket, self.spool.clone(), &recording_id),
            prefix,
            plan,
            started_ms,
            session_id: ids::alnum(12),
            writer: RecordingWriter::new(),
            entries: Vec::new(),
            rendition: None,
            stream_ids: vec![first.entry.stream_id.clone()],
            thumbs,
            first: Some(first.entry.clone()),
            id: recording_id.clone(),
        };
        rec.journal().await;
        tracing::info!(channel = %rec.plan.channel_arn, bucket = %rec.plan.bucket, prefix = %rec.prefix, "recording started");
        let mut current = first;
        let ended_ms = loop {
            while let Some(item) = current.reader.recv().await {
                rec.thumbnail(&item).await;
                if !rec.plan.video && is_video(&item) {
                    continue;
                }
                let seg = rec.writer.push(item, unix_ms());
                if rec.rendition.is_none() {
                    rec.begin().await;
                }
                if let Some(seg) = seg {
                    rec.segment(seg).await;
                }
            }
            let ended_ms = unix_ms();
            if current.reader.dropped() > 0 {
                tracing::warn!(stream_id = %current.entry.stream_id, dropped = current.reader.dropped(), "the recorder fell behind its stream; frames were skipped");
            }
            let mut stopping = self.stopping.subscribe();
            let next = tokio::select! {
                r = tokio::time::timeout(rec.plan.window, more.recv()) => match r {
                    Ok(Some(j)) => Some(j),
                    _ => self.leave(&rec.plan.channel_arn, id, &mut more),
                },
                _ = stopping.wait_for(|s| *s) => {
                    self.leave(&rec.plan.channel_arn, id, &mut more);
                    None
                }
            };
            let Some(next) = next else { break ended_ms };
            tracing::info!(channel = %rec.plan.channel_arn, stream_id = %next.entry.stream_id, prefix = %rec.prefix, "a stream continues the recording within its reconnect window");
            if let Some(seg) = rec.writer.discontinuity() {
                rec.segment(seg).await;
            }
            rec.stream_ids.push(next.entry.stream_id.clone());
            current = next;
            rec.journal().await;
        };
        rec.finish(ended_ms, &current.entry).await;
    }

    /// Removes the wait of recording `id`, if it registered one.
    fn forget(&self, channel_arn: &str, id: u64) {
        let mut waiting = lock(&self.waiting);
        if waiting.get(channel_arn).is_some_and(|w| w.id == id) {
            waiting.remove(channel_arn);
        }
    }
}

fn is_video(item: &openivs_media::MediaItem) -> bool {
    use openivs_media::{MediaItem, Track};
    match item {
        MediaItem::VideoConfig(_) => true,
        MediaItem::Frame(f) => f.track == Track::Video,
        _ => false,
    }
}

/// Writes the empty check object that validates a recording's prefix.
async fn probe(bucket: &Bucket, key: &str) -> Result<(), String> {
    match tokio::time::timeout(PROBE_TIMEOUT, bucket.put(key, Bytes::new())).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer from the store in {} s", PROBE_TIMEOUT.as_secs())),
    }
}

/// One recording in progress.
struct Recording {
    recorder: Arc<Recorder>,
    uploads: Uploads,
    plan: Plan,
    prefix: String,
    started_ms: i64,
    session_id: String,
    writer: RecordingWriter,
    entries: Vec<Entry>,
    /// The rendition, fixed when the recording began (its folder name cannot change).
    rendition: Option<Rendition>,
    stream_ids: Vec<String>,
    /// Its thumbnails, unless DISABLED.
    thumbs: Option<Thumbnails>,
    /// The first stream, until its session got the Recording Start event (not kept longer: a live
    /// entry holds its playback window).
    first: Option<Arc<LiveEntry>>,
    /// The recording id (the prefix's last part, and its journal entry's name).
    id: String,
}

impl Recording {
    /// Brings the recording's journal entry up to date.
    async fn journal(&self) {
        let open = OpenRecording {
            bucket: self.plan.bucket.clone(),
            prefix: self.prefix.clone(),
            channel_arn: self.plan.channel_arn.clone(),
            started_ms: self.started_ms,
            rendition: self.rendition.as_ref().map(|r| (r.name.clone(), r.width.zip(r.height))),
            duration_ms: self.entries.iter().map(|e| e.duration_ms).sum(),
            last_stream_id: self.stream_ids.last().cloned().unwrap_or_default(),
        };
        self.recorder.journal.write(&self.id, &open).await;
    }

    fn key(&self, rest: &str) -> String {
        format!("{}/{rest}", self.prefix)
    }

    /// Writes the thumbnails due at this item.
    async fn thumbnail(&mut self, item: &openivs_media::MediaItem) {
        let Some(thumbs) = self.thumbs.as_mut() else { return };
        for (key, body, replace) in thumbs.on_item(item, unix_ms()).await {
            let key = self.key(&key);
            if replace {
                self.uploads.replace(key, body).await;
            } else {
                self.uploads.put(key, body).await;
            }
        }
    }

    /// `media.thumbnails` / `media.latest_thumbnail` of the JSON files.
    fn thumbnail_files(&self) -> Option<files::ThumbnailFiles> {
        let source = self.writer.rendition().and_then(|r| r.width.zip(r.height));
        self.thumbs.as_ref().map(|t| t.files(source))
    }

    fn rendition_files(&self) -> Vec<RenditionFile> {
        self.rendition
            .iter()
            .map(|r| RenditionFile { path: r.name.clone(), resolution: r.width.zip(r.height) })
            .collect()
    }

    /// Once the rendition is known: `recording-started.json` and the Recording Start event.
    async fn begin(&mut self) {
        let Some(r) = self.writer.rendition() else { return };
        self.rendition = Some(r);
        let text = files::recording_file(
            &self.plan.channel_arn,
            self.started_ms,
            &Status::Started,
            &self.rendition_files(),
            self.thumbnail_files().as_ref(),
        );
        self.uploads.put(self.key(Status::Started.key()), Bytes::from(text)).await;
        let ev = session::event("Recording Start", RECORDING_CHANGE, Timestamp::now());
        if let Some(first) = self.first.take() {
            session::add_event(self.recorder.store.as_ref(), &first, ev, false).await;
        }
    }

    /// Queues a finished segment and the playlists that now name it.
    async fn segment(&mut self, seg: RecordedSegment) {
        if self.rendition.is_none() {
            self.begin().await;
        }
        let Some(name) = self.rendition.as_ref().map(|r| r.name.clone()) else { return };
        let first = self.entries.is_empty();
        self.entries.push(Entry::from(&seg));
        self.uploads.put(self.key(&format!("{}/{name}/{}.ts", files::HLS_PATH, seg.index)), seg.data).await;
        self.playlists(&name, false).await;
        if first {
            self.masters().await;
        }
        self.journal().await;
    }

    async fn playlists(&mut self, name: &str, ended: bool) {
        let media = playlist::media(&self.entries, unix_ms());
        let ranges = playlist::byte_range(&self.entries, ended);
        let dir = format!("{}/{name}", files::HLS_PATH);
        self.uploads.replace(self.key(&format!("{dir}/{}", files::PLAYLIST)), Bytes::from(media)).await;
        self.uploads
            .replace(self.key(&format!("{dir}/{}", files::BYTE_RANGE_PLAYLIST)), Bytes::from(ranges))
            .await;
    }

    /// The two multivariant playlists, with the rendition's peak bandwidth so far.
    async fn masters(&mut self) {
        let Some(mut r) = self.rendition.clone() else { return };
        if let Some(now) = self.writer.rendition() {
            r.bandwidth = now.bandwidth;
        }
        let account = &self.plan.account;
        for (byte_range, name) in [(false, files::MASTER), (true, files::BYTE_RANGE_MASTER)] {
            let text = playlist::master(std::slice::from_ref(&r), &self.plan.channel_id, account, byte_range);
            self.uploads.replace(self.key(&format!("{}/{name}", files::HLS_PATH)), Bytes::from(text)).await;
        }
    }

    /// The last segment, the final playlists, then the ended (or failed) file once all else is
    /// written, and the Recording End event on the last stream's session.
    async fn finish(mut self, ended_ms: i64, last: &Arc<LiveEntry>) {
        if let Some(seg) = self.writer.finish() {
            self.segment(seg).await;
        }
        if let Some(name) = self.rendition.as_ref().map(|r| r.name.clone()) {
            self.playlists(&name, true).await;
            self.masters().await;
        }
        self.uploads.drained().await;
        let duration_ms: i64 = self.entries.iter().map(|e| e.duration_ms).sum();
        let dropped = self.uploads.dropped();
        let status = if dropped > 0 {
            Status::Failed { at_ms: ended_ms, duration_ms, message: "InternalServerException".into() }
        } else {
            Status::Ended { at_ms: ended_ms, duration_ms }
        };
        let text = files::recording_file(
            &self.plan.channel_arn,
            self.started_ms,
            &status,
            &self.rendition_files(),
            self.thumbnail_files().as_ref(),
        );
        self.uploads.put(self.key(status.key()), Bytes::from(text)).await;
        self.uploads.close();
        self.uploads.drained().await;
        let failed = dropped > 0;
        let mut ev = session::event(
            if failed { "Recording End Failure" } else { "Recording End" },
            RECORDING_CHANGE,
            Timestamp::now(),
        );
        if failed {
            ev.code = Some("InternalServerException".into());
        }
        session::add_event(self.recorder.store.as_ref(), last, ev, failed).await;
        self.recorder.journal.remove(&self.id).await;
        tracing::info!(
            channel = %self.plan.channel_arn,
            prefix = %self.prefix,
            duration_ms,
            segments = self.entries.len(),
            streams = self.stream_ids.len(),
            session = %self.session_id,
            dropped,
            "recording ended"
        );
    }
}
