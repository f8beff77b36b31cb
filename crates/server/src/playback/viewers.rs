//! Concurrent viewers of one stream: the distinct playback sessions that made a request within the
//! last [`COUNT_WINDOW`]. The same table keeps sessions alive (see [`super::session`]).
//!
//! Why 15 s: a watching player asks for its media playlist every target duration — 2 s in LOW latency,
//! 6 s in NORMAL — or holds a blocking reload (LL-HLS) for at most about three part targets, and fetches
//! segments in between; 15 s is over twice the longest of those gaps, so a viewer on a slow link is
//! never dropped between two requests, while one who leaves stops counting within 15 s.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A session counts as a viewer while its last request is at most this old.
pub const COUNT_WINDOW: Duration = Duration::from_secs(15);
/// Entries older than this are dropped (the longest any caller asks about).
const FORGET_AFTER: Duration = Duration::from_secs(60);
/// At most this often the table is swept.
const SWEEP_EVERY: Duration = Duration::from_secs(5);

/// The sessions of one stream and when each was last seen.
#[derive(Default)]
pub struct Viewers {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    seen: HashMap<u64, Instant>,
    swept: Option<Instant>,
    /// Sessions ever seen. A session is forgotten only after [`FORGET_AFTER`] without a request, by
    /// when its `?session=` values have expired (30 s), so none is counted twice.
    started: u64,
}

impl Viewers {
    /// Records a request of session `id` at `now`.
    pub fn touch(&self, id: u64, now: Instant) {
        let mut i = crate::ingest::registry::lock(&self.inner);
        if i.swept.is_none_or(|t| now.saturating_duration_since(t) >= SWEEP_EVERY) {
            i.seen.retain(|_, t| now.saturating_duration_since(*t) <= FORGET_AFTER);
            i.swept = Some(now);
        }
        let i = &mut *i;
        match i.seen.entry(id) {
            std::collections::hash_map::Entry::Occupied(mut e) => {
                let t = e.get_mut();
                *t = (*t).max(now);
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(now);
                i.started += 1;
            }
        }
    }

    /// How many distinct sessions the stream has had.
    pub fn started(&self) -> u64 {
        crate::ingest::registry::lock(&self.inner).started
    }

    /// True if session `id` made a request within `within` before `now`.
    pub fn seen_within(&self, id: u64, within: Duration, now: Instant) -> bool {
        crate::ingest::registry::lock(&self.inner)
            .seen
            .get(&id)
            .is_some_and(|t| now.saturating_duration_since(*t) <= within)
    }

    /// The number of sessions seen within [`COUNT_WINDOW`] before `now`.
    pub fn count(&self, now: Instant) -> usize {
        crate::ingest::registry::lock(&self.inner)
            .seen
            .values()
            .filter(|t| now.saturating_duration_since(**t) <= COUNT_WINDOW)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_sessions_within_the_window() {
        let v = Viewers::default();
        let t0 = Instant::now();
        assert_eq!(v.count(t0), 0);
        v.touch(1, t0);
        v.touch(1, t0 + Duration::from_secs(1));
        v.touch(2, t0 + Duration::from_secs(2));
        assert_eq!(v.count(t0 + Duration::from_secs(2)), 2, "two sessions, however many requests");
        assert_eq!(v.started(), 2);
        // Session 1 keeps watching, 2 leaves.
        for s in 1..=10 {
            v.touch(1, t0 + Duration::from_secs(2 * s));
        }
        assert_eq!(v.count(t0 + Duration::from_secs(20)), 1);
        assert!(v.seen_within(2, Duration::from_secs(30), t0 + Duration::from_secs(20)));
        assert!(!v.seen_within(2, Duration::from_secs(10), t0 + Duration::from_secs(20)));
        assert!(!v.seen_within(3, Duration::from_secs(30), t0));
        assert_eq!(v.count(t0 + Duration::from_secs(40)), 0);
        // A late, out-of-order touch never moves a session back in time.
        v.touch(1, t0);
        assert!(v.seen_within(1, Duration::from_secs(1), t0 + Duration::from_secs(20)));
    }

    #[test]
    fn old_sessions_are_forgotten() {
        let v = Viewers::default();
        let t0 = Instant::now();
        for id in 0..1000 {
            v.touch(id, t0);
        }
        v.touch(5000, t0 + Duration::from_secs(120));
        assert_eq!(crate::ingest::registry::lock(&v.inner).seen.len(), 1);
        assert_eq!(v.started(), 1001, "forgetting a session does not forget that it was there");
    }
}
