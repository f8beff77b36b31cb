//! The per-channel hub: one publisher, many readers (HLS segmenter, recorder, …), each with its own
//! bounded queue. Publishing never waits: a reader whose queue is full loses what it had queued, counts
//! the drop and resynchronizes at the next video keyframe (with the current codec configurations in
//! front of it), so a slow reader never blocks ingest nor grows memory.

use crate::frame::{AudioConfig, MediaItem, TimedMetadata, VideoConfig};
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use tokio::sync::Notify;

/// Default queue length of a reader: about 10 s of 30 fps video with its audio.
pub const DEFAULT_QUEUE: usize = 1024;

/// A channel's hub. Dropping it (or [`Hub::close`]) ends every reader after what it has queued.
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    readers: Mutex<Vec<Arc<Shared>>>,
    configs: Mutex<Configs>,
    closed: AtomicBool,
    /// The latest decoding time published, ms ([`i64::MIN`] before the first frame).
    latest: AtomicI64,
}

#[derive(Default, Clone)]
struct Configs {
    video: Option<Arc<VideoConfig>>,
    audio: Option<Arc<AudioConfig>>,
}

struct Shared {
    state: Mutex<State>,
    notify: Notify,
    capacity: usize,
}

struct State {
    queue: VecDeque<MediaItem>,
    /// Waiting for a video keyframe after a drop (or since subscribing).
    resync: bool,
    dropped: u64,
    closed: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding one of these locks leaves plain data behind; keep going.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    /// An empty hub.
    pub fn new() -> Self {
        Hub {
            inner: Arc::new(Inner {
                readers: Mutex::new(Vec::new()),
                configs: Mutex::new(Configs::default()),
                closed: AtomicBool::new(false),
                latest: AtomicI64::new(i64::MIN),
            }),
        }
    }

    /// Hands an item to every reader; never waits.
    pub fn publish(&self, item: MediaItem) {
        let configs = {
            let mut c = lock(&self.inner.configs);
            match &item {
                MediaItem::VideoConfig(v) => c.video = Some(v.clone()),
                MediaItem::AudioConfig(a) => c.audio = Some(a.clone()),
                MediaItem::Frame(f) => {
                    self.inner.latest.fetch_max(f.dts, Ordering::AcqRel);
                }
                MediaItem::Metadata(_) => {}
            }
            c.clone()
        };
        let readers = lock(&self.inner.readers).clone();
        for r in readers {
            if r.offer(&item, &configs) {
                r.notify.notify_one();
            }
        }
    }

    /// The stream's latest time (the newest frame's decoding time, ms), if a frame came.
    pub fn latest_time(&self) -> Option<i64> {
        Some(self.inner.latest.load(Ordering::Acquire)).filter(|t| *t != i64::MIN)
    }

    /// Puts timed metadata into the stream at its latest time (or 0 before any frame).
    pub fn put_metadata(&self, payload: impl Into<Bytes>) {
        let pts = self.latest_time().unwrap_or(0);
        self.publish(MediaItem::Metadata(TimedMetadata { pts, payload: payload.into() }));
    }

    /// A new reader with a queue of `capacity` items; it starts at the next video keyframe (or at the
    /// next frame of a stream without video), preceded by the current codec configurations.
    pub fn subscribe(&self, capacity: usize) -> Reader {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                resync: true,
                dropped: 0,
                closed: self.inner.closed.load(Ordering::Acquire),
            }),
            notify: Notify::new(),
            capacity: capacity.max(2),
        });
        lock(&self.inner.readers).push(shared.clone());
        Reader { shared, hub: Arc::downgrade(&self.inner) }
    }

    /// How many readers are subscribed.
    pub fn reader_count(&self) -> usize {
        lock(&self.inner.readers).len()
    }

    /// Ends the stream: readers get what they have queued, then `None`.
    pub fn close(&self) {
        self.inner.closed.store(true, Ordering::Release);
        for r in lock(&self.inner.readers).iter() {
            lock(&r.state).closed = true;
            r.notify.notify_one();
        }
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.close();
    }
}

impl Shared {
    /// Queues an item for this reader; true when something was queued.
    fn offer(&self, item: &MediaItem, configs: &Configs) -> bool {
        let mut s = lock(&self.state);
        if s.closed {
            return false;
        }
        // Metadata is rare and must reach every viewer: a reader waiting for a keyframe keeps it.
        if s.resync && matches!(item, MediaItem::Metadata(_)) && s.queue.len() < self.capacity {
            s.queue.push_back(item.clone());
            return true;
        }
        if s.resync {
            let at_sync_point = match item {
                MediaItem::Frame(_) => item.is_video_keyframe() || configs.video.is_none(),
                _ => false,
            };
            if !at_sync_point {
                if matches!(item, MediaItem::Frame(_)) {
                    s.dropped += 1;
                }
                return false;
            }
            s.resync = false;
            if let Some(v) = &configs.video {
                s.queue.push_back(MediaItem::VideoConfig(v.clone()));
            }
            if let Some(a) = &configs.audio {
                s.queue.push_back(MediaItem::AudioConfig(a.clone()));
            }
            s.queue.push_back(item.clone());
            return true;
        }
        if s.queue.len() >= self.capacity {
            let lost = s.queue.iter().filter(|i| matches!(i, MediaItem::Frame(_))).count() as u64;
            s.queue.clear();
            s.dropped += lost;
            s.resync = true;
            // This item may itself be the keyframe to resume at.
            drop(s);
            return self.offer(item, configs);
        }
        s.queue.push_back(item.clone());
        true
    }
}

/// One reader of a hub; unsubscribes on drop.
pub struct Reader {
    shared: Arc<Shared>,
    hub: Weak<Inner>,
}

impl Reader {
    /// The next item, or `None` once the hub is closed and the queue drained.
    pub async fn recv(&mut self) -> Option<MediaItem> {
        loop {
            {
                let mut s = lock(&self.shared.state);
                if let Some(item) = s.queue.pop_front() {
                    return Some(item);
                }
                if s.closed {
                    return None;
                }
            }
            self.shared.notify.notified().await;
        }
    }

    /// The next item if one is queued.
    pub fn try_recv(&mut self) -> Option<MediaItem> {
        lock(&self.shared.state).queue.pop_front()
    }

    /// Frames this reader lost because it fell behind (or before its first keyframe).
    pub fn dropped(&self) -> u64 {
        lock(&self.shared.state).dropped
    }

    /// Items queued right now.
    pub fn queued(&self) -> usize {
        lock(&self.shared.state).queue.len()
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.upgrade() {
            lock(&hub.readers).retain(|r| !Arc::ptr_eq(r, &self.shared));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{Frame, Track};
    use bytes::Bytes;

    fn frame(track: Track, dts: i64, keyframe: bool) -> MediaItem {
        MediaItem::Frame(Frame { track, pts: dts, dts, keyframe, data: Bytes::from_static(b"x") })
    }

    fn video_config() -> MediaItem {
        MediaItem::VideoConfig(Arc::new(VideoConfig {
            codec: "avc1.64001E".into(),
            profile: "High".into(),
            level: "3.0".into(),
            width: 640,
            height: 360,
            frame_rate: None,
            record: Bytes::new(),
        }))
    }

    fn dts(item: &MediaItem) -> Option<i64> {
        match item {
            MediaItem::Frame(f) => Some(f.dts),
            _ => None,
        }
    }

    #[tokio::test]
    async fn a_reader_starts_at_a_keyframe_with_the_configuration() {
        let hub = Hub::new();
        hub.publish(video_config());
        let mut r = hub.subscribe(16);
        hub.publish(frame(Track::Video, 0, false));
        hub.publish(frame(Track::Audio, 1, true));
        hub.publish(frame(Track::Video, 33, true));
        hub.publish(frame(Track::Audio, 40, true));
        assert!(matches!(r.recv().await, Some(MediaItem::VideoConfig(_))));
        assert_eq!(r.recv().await.as_ref().and_then(dts), Some(33));
        assert_eq!(r.recv().await.as_ref().and_then(dts), Some(40));
        assert_eq!(r.dropped(), 2);
        hub.close();
        assert!(r.recv().await.is_none());
    }

    #[tokio::test]
    async fn a_slow_reader_drops_to_the_next_keyframe_and_never_blocks_the_publisher() {
        let hub = Hub::new();
        hub.publish(video_config());
        let mut slow = hub.subscribe(8);
        let mut fast = hub.subscribe(1000);
        // Keyframes at 0, 30, 60 and 90; the slow reader overflows after each and resumes at the next.
        for i in 0..95 {
            hub.publish(frame(Track::Video, i, i % 30 == 0));
            while fast.try_recv().is_some() {}
        }
        assert!(slow.queued() <= 8);
        assert!(slow.dropped() > 0);
        assert_eq!(fast.dropped(), 0);
        // After the drop the slow reader resumes at a keyframe, configuration first.
        let mut items = Vec::new();
        while let Some(i) = slow.try_recv() {
            items.push(i);
        }
        let first_frame = items.iter().position(|i| matches!(i, MediaItem::Frame(_))).unwrap();
        assert!(matches!(items[first_frame - 1], MediaItem::VideoConfig(_)));
        assert!(items[first_frame].is_video_keyframe());
    }

    #[tokio::test]
    async fn metadata_is_stamped_with_the_latest_time_and_survives_a_resync() {
        let hub = Hub::new();
        hub.publish(video_config());
        let mut r = hub.subscribe(16);
        // Before the reader's first keyframe: kept, and stamped 0 (no frame yet).
        hub.put_metadata("early");
        hub.publish(frame(Track::Video, 100, true));
        hub.publish(frame(Track::Audio, 90, true));
        hub.put_metadata(String::from("{\"q\":1}"));
        let items: Vec<MediaItem> = std::iter::from_fn(|| r.try_recv()).collect();
        let meta: Vec<(i64, &[u8])> = items
            .iter()
            .filter_map(|i| match i {
                MediaItem::Metadata(m) => Some((m.pts, &m.payload[..])),
                _ => None,
            })
            .collect();
        assert_eq!(meta, [(0, &b"early"[..]), (100, &b"{\"q\":1}"[..])]);
        assert_eq!(hub.latest_time(), Some(100));
    }

    #[tokio::test]
    async fn readers_unsubscribe_on_drop_and_wake_on_publish() {
        let hub = Arc::new(Hub::new());
        let r = hub.subscribe(4);
        assert_eq!(hub.reader_count(), 1);
        drop(r);
        assert_eq!(hub.reader_count(), 0);
        let mut r = hub.subscribe(4);
        let h = hub.clone();
        let task = tokio::spawn(async move { r.recv().await });
        tokio::task::yield_now().await;
        h.publish(frame(Track::Audio, 5, true));
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), task).await.unwrap().unwrap();
        assert_eq!(got.as_ref().and_then(dts), Some(5));
    }
}
