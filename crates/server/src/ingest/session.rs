//! One live stream's bookkeeping: the media sink that feeds its hub and statistics (never waiting),
//! and the monitor task that derives health from the measured bitrate and frame rate, records
//! starvation events, and keeps the stream session in the store up to date until it ends.

use super::registry::{LiveEntry, MediaState, Registry, lock};
use crate::store::{Store, StreamSessionRecord};
use openivs_media::MediaItem;
use openivs_media::ingest::{EndReason, LinkStats, MediaSink, StreamMetadata};
use openivs_media::stats::Snapshot;
use openivs_model::{
    AudioConfiguration, StreamEvent, StreamHealth, StreamSession, Timestamp, VideoConfiguration,
};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// No media for this long makes a stream STARVING (and records "Starvation Start").
pub const STARVING_AFTER: Duration = Duration::from_secs(3);
/// How often a changed ingest configuration is written while live.
const PERSIST_EVERY: Duration = Duration::from_secs(5);
/// `truncatedEvents` holds at most this many (model: 0..500).
const MAX_EVENTS: usize = 500;
const STATE_CHANGE: &str = "IVS Stream State Change";
const HEALTH_CHANGE: &str = "IVS Stream Health Change";

/// The sink an authorized session writes to.
pub struct Sink {
    pub(super) entry: Arc<LiveEntry>,
    pub(super) registry: Arc<Registry>,
    pub(super) changed: mpsc::Sender<()>,
    pub(super) ended: Option<oneshot::Sender<EndReason>>,
}

impl MediaSink for Sink {
    fn media(&mut self, item: MediaItem) {
        match &item {
            MediaItem::Frame(f) => {
                lock(&self.entry.stats).record(Instant::now(), f.track, f.data.len(), f.dts, f.keyframe);
            }
            MediaItem::VideoConfig(v) => {
                lock(&self.entry.media).video = Some(v.clone());
                let _ = self.changed.try_send(());
            }
            MediaItem::AudioConfig(a) => {
                lock(&self.entry.media).audio = Some(a.clone());
                let _ = self.changed.try_send(());
            }
            MediaItem::Metadata(_) => {}
        }
        self.entry.hub.publish(item);
    }

    fn metadata(&mut self, meta: StreamMetadata) {
        lock(&self.entry.media).metadata = Some(meta);
        let _ = self.changed.try_send(());
    }

    fn link(&mut self, stats: LinkStats) {
        let before = lock(&self.entry.link).replace(stats);
        // Worth writing when the link lost something (not for every packet counted).
        let losses = |s: &LinkStats| (s.retransmitted, s.dropped, s.decrypt_errors);
        if before.is_none_or(|b| losses(&b) != losses(&stats)) {
            let _ = self.changed.try_send(());
        }
    }

    fn end(mut self: Box<Self>, reason: EndReason) {
        self.registry.remove(&self.entry);
        self.entry.hub.close();
        if let Some(tx) = self.ended.take() {
            let _ = tx.send(reason);
        }
    }
}

/// A stream event as `truncatedEvents` lists it.
pub fn event(name: &str, kind: &str, at: Timestamp) -> StreamEvent {
    StreamEvent { name: Some(name.into()), r#type: Some(kind.into()), event_time: Some(at), code: None }
}

/// Adds an event at the front (the list is newest first) and keeps at most 500.
pub fn push_event(doc: &mut StreamSession, ev: StreamEvent) {
    let events = doc.truncated_events.get_or_insert_with(Vec::new);
    events.insert(0, ev);
    events.truncate(MAX_EVENTS);
}

/// The stored form of a session document.
pub fn record(
    entry: &LiveEntry,
    doc: &StreamSession,
    has_error: bool,
) -> serde_json::Result<StreamSessionRecord> {
    Ok(StreamSessionRecord {
        seq: 0,
        stream_id: entry.stream_id.clone(),
        channel_arn: entry.channel_arn.clone(),
        scope: entry.scope.clone(),
        start_ms: entry.start_time.unix_millis(),
        end_ms: doc.end_time.map(|t| t.unix_millis()),
        // A failure of any kind (the stream's, or its recording's) is an error event.
        has_error: has_error
            || doc
                .truncated_events
                .iter()
                .flatten()
                .any(|e| e.name.as_deref().is_some_and(|n| n.ends_with("Failure"))),
        doc: serde_json::to_string(doc)?,
    })
}

/// Health from what arrives: STARVING when nothing came for a few seconds, or when, after the first
/// seconds, the frame rate fell below half the stream's own average.
pub fn health(s: &Snapshot, age: Duration) -> StreamHealth {
    let collapsed =
        age >= Duration::from_secs(10) && s.avg_frame_rate > 0.0 && s.frame_rate < s.avg_frame_rate / 2.0;
    if s.idle >= STARVING_AFTER || collapsed { StreamHealth::Starving } else { StreamHealth::Healthy }
}

fn rounded(v: f64) -> Option<i64> {
    (v.is_finite() && v > 0.0).then(|| v.round() as i64)
}

/// Track0's video and audio configuration, measured; `deprecated` fills `avcProfile`/`avcLevel`
/// (populated only in the deprecated `ingestConfiguration`).
pub fn ingest_config(
    media: &MediaState,
    s: &Snapshot,
    deprecated: bool,
) -> (Option<VideoConfiguration>, Option<AudioConfiguration>) {
    let encoder = media.metadata.as_ref().and_then(|m| m.encoder.clone());
    let video = media.video.as_ref().map(|v| {
        let avc = deprecated && v.codec.starts_with("avc1");
        VideoConfiguration {
            avc_profile: Some(if avc { v.profile.clone() } else { String::new() }),
            avc_level: Some(if avc { v.level.clone() } else { String::new() }),
            codec: Some(v.codec.clone()),
            encoder: encoder.clone(),
            level: Some(v.level.clone()),
            profile: Some(v.profile.clone()),
            target_bitrate: rounded(s.avg_video_bps).or(Some(0)),
            target_framerate: rounded(s.avg_frame_rate).or(v.frame_rate.and_then(rounded)).or(Some(0)),
            track: Some("Track0".into()),
            video_height: Some(i64::from(v.height)),
            video_width: Some(i64::from(v.width)),
        }
    });
    let audio = media.audio.as_ref().map(|a| AudioConfiguration {
        channels: Some(i64::from(a.channels)),
        codec: Some(a.codec.clone()),
        sample_rate: Some(i64::from(a.sample_rate)),
        target_bitrate: rounded(s.avg_audio_bps).or(Some(0)),
        track: Some("Track0".into()),
    });
    (video, audio)
}

fn apply_ingest_config(doc: &mut StreamSession, entry: &LiveEntry) {
    if let Some(link) = *lock(&entry.link) {
        let figure = |v: u64| Some(i64::try_from(v).unwrap_or(i64::MAX));
        doc.openivs_ingest.get_or_insert_with(Default::default).srt = Some(openivs_model::ext::SrtLink {
            packets_received: figure(link.packets),
            packets_retransmitted: figure(link.retransmitted),
            loss_reports: figure(link.loss_reports),
            packets_dropped: figure(link.dropped),
            decrypt_errors: figure(link.decrypt_errors),
            latency_ms: figure(link.latency_ms),
        });
    }
    let media = lock(&entry.media).clone();
    let snap = lock(&entry.stats).snapshot(Instant::now());
    let (video, audio) = ingest_config(&media, &snap, true);
    doc.ingest_configuration = Some(openivs_model::IngestConfiguration { video, audio });
    let (video, audio) = ingest_config(&media, &snap, false);
    doc.ingest_configurations = Some(openivs_model::IngestConfigurations {
        video_configurations: Some(video.into_iter().collect()),
        audio_configurations: Some(audio.into_iter().collect()),
    });
}

/// Brings the session's viewer figures up to date; true if they changed.
fn count_viewers(doc: &mut StreamSession, entry: &LiveEntry, now: Timestamp) -> bool {
    let concurrent = entry.viewers.count(Instant::now()) as i64;
    let sessions = entry.viewers.started() as i64;
    let v = doc.openivs_viewers.get_or_insert_with(Default::default);
    let mut changed = false;
    if concurrent > v.peak_concurrent_viewers.unwrap_or(0) {
        v.peak_concurrent_viewers = Some(concurrent);
        v.peak_time = Some(now);
        changed = true;
    }
    if v.playback_sessions != Some(sessions) {
        v.playback_sessions = Some(sessions);
        changed = true;
    }
    changed
}

/// Watches a live stream until it ends; writes its session on changes, health transitions and end.
pub async fn monitor(
    store: Arc<dyn Store>,
    entry: Arc<LiveEntry>,
    mut doc: StreamSession,
    mut changed: mpsc::Receiver<()>,
    mut ended: oneshot::Receiver<EndReason>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut dirty = false;
    let mut last_write = Instant::now();
    let started = Instant::now();
    let reason = loop {
        tokio::select! {
            r = &mut ended => break r.unwrap_or(EndReason::Disconnected),
            Some(()) = changed.recv() => dirty = true,
            _ = tick.tick() => {
                let snap = lock(&entry.stats).snapshot(Instant::now());
                let now_health = health(&snap, started.elapsed());
                let before = std::mem::replace(&mut *lock(&entry.health), now_health.clone());
                if before != now_health {
                    let name = if now_health == StreamHealth::Starving { "Starvation Start" } else { "Starvation End" };
                    push_event(&mut doc, event(name, HEALTH_CHANGE, Timestamp::now()));
                    dirty = true;
                    last_write = Instant::now().checked_sub(PERSIST_EVERY).unwrap_or(started);
                }
                dirty |= count_viewers(&mut doc, &entry, Timestamp::now());
                if take_pending(&mut doc, &entry, false) {
                    dirty = true;
                    last_write = Instant::now().checked_sub(PERSIST_EVERY).unwrap_or(started);
                }
                if dirty && last_write.elapsed() >= PERSIST_EVERY {
                    apply_ingest_config(&mut doc, &entry);
                    write(store.as_ref(), &entry, &doc, false).await;
                    dirty = false;
                    last_write = Instant::now();
                } else if last_write.elapsed() >= PERSIST_EVERY * 6 {
                    // Measured bitrates drift; refresh them now and then.
                    dirty = true;
                }
            }
        }
    };
    let now = Timestamp::now();
    apply_ingest_config(&mut doc, &entry);
    count_viewers(&mut doc, &entry, now);
    doc.end_time = Some(now);
    let failed = matches!(reason, EndReason::ProtocolError(_));
    let mut ended_ev = event("Session Ended", STATE_CHANGE, now);
    ended_ev.code = end_code(&reason).map(str::to_string);
    push_event(&mut doc, ended_ev);
    push_event(&mut doc, event(if failed { "Stream Failure" } else { "Stream End" }, STATE_CHANGE, now));
    take_pending(&mut doc, &entry, false);
    write(store.as_ref(), &entry, &doc, failed).await;
    // Events added while that write ran go in one more; after it, adders write to the store.
    while take_pending(&mut doc, &entry, true) {
        write(store.as_ref(), &entry, &doc, failed).await;
    }
    tracing::info!(channel = %entry.channel_arn, stream_id = %entry.stream_id, ?reason, "stream ended");
}

/// Moves the events others added into the session; true if there were any. `last`: when there were
/// none, the monitor is done, and later events go to the store ([`add_event`]).
fn take_pending(doc: &mut StreamSession, entry: &LiveEntry, last: bool) -> bool {
    let mut pending = lock(&entry.pending_events);
    let events = pending.as_mut().map(std::mem::take).unwrap_or_default();
    if events.is_empty() {
        if last {
            *pending = None;
        }
        return false;
    }
    for ev in events {
        push_event(doc, ev);
    }
    true
}

/// Adds an event to a stream's session: through its monitor while that runs, else to the stored
/// session (the monitor has written it for the last time).
pub async fn add_event(store: &dyn Store, entry: &LiveEntry, ev: StreamEvent, error: bool) {
    {
        let mut pending = lock(&entry.pending_events);
        if let Some(list) = pending.as_mut() {
            list.push(ev);
            return;
        }
    }
    let stored = store.get_stream_session(&entry.channel_arn, Some(&entry.stream_id)).await;
    let result = match stored {
        Ok(Some(mut rec)) => match serde_json::from_str::<StreamSession>(&rec.doc) {
            Ok(mut doc) => {
                push_event(&mut doc, ev);
                rec.has_error |= error;
                match serde_json::to_string(&doc) {
                    Ok(text) => {
                        rec.doc = text;
                        store.put_stream_session(rec).await.map_err(|e| e.to_string())
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
            Err(e) => Err(e.to_string()),
        },
        Ok(None) => Err("the session is not stored".to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = result {
        tracing::error!(stream_id = %entry.stream_id, error = %e, "adding an event to the stream session failed");
    }
}

/// `code` of the Session Ended event, for the endings IVS has no code for: openivs's own words.
fn end_code(reason: &EndReason) -> Option<&'static str> {
    match reason {
        EndReason::Unpublished => None,
        EndReason::Disconnected => Some("EncoderDisconnected"),
        EndReason::Stopped => Some("StreamStopped"),
        EndReason::Starved => Some("StreamStarved"),
        EndReason::MaxDuration => Some("MaxDurationReached"),
        EndReason::ProtocolError(_) => Some("InvalidStream"),
    }
}

async fn write(store: &dyn Store, entry: &LiveEntry, doc: &StreamSession, has_error: bool) {
    let result = match record(entry, doc, has_error) {
        Ok(r) => store.put_stream_session(r).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = result {
        tracing::error!(stream_id = %entry.stream_id, error = %e, "writing the stream session failed");
    }
}
