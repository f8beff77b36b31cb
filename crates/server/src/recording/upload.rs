//! A recording's upload queue: the recorder hands objects over without waiting, one task writes them
//! to the bucket in order, retrying with backoff for as long as the server runs (IVS puts the live
//! stream first; a store that is down must not hold ingest back or lose a segment, issue 10 §3).
//!
//! Memory stays bounded whatever the store does: past [`MEMORY_BUDGET`] bytes waiting, objects go to
//! a spool file on local disk, and past the server-wide spool limit they are dropped and counted
//! (the recording then ends with a failure). A playlist, which is rewritten whole after every
//! segment, waits once: a newer version replaces the queued one and moves behind the segments queued
//! before it, so a playlist never names a segment that is not written yet.

use super::buckets::Bucket;
use bytes::Bytes;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// Bytes a recording may hold in memory waiting for the store (about 20 s of a 6 Mbit/s stream).
pub const MEMORY_BUDGET: usize = 16 << 20;
/// The first retry's delay; each failure doubles it up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// The longest wait between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// The server-wide spool: a directory and how much of it recordings may fill.
pub struct Spool {
    dir: PathBuf,
    max: u64,
    used: AtomicU64,
}

impl Spool {
    /// A spool in `dir` holding at most `max` bytes. Files a previous run left there are removed (a
    /// restart loses what was queued; finishing those recordings after a restart is not built yet).
    pub fn new(dir: PathBuf, max: u64) -> Self {
        if dir.exists()
            && let Err(e) = std::fs::remove_dir_all(&dir)
        {
            tracing::warn!(dir = %dir.display(), error = %e, "could not clear the recording spool");
        }
        Spool { dir, max, used: AtomicU64::new(0) }
    }

    /// Bytes spooled now.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    fn reserve(&self, n: u64) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| (u + n <= self.max).then_some(u + n))
            .is_ok()
    }

    fn release(&self, n: u64) {
        self.used.fetch_sub(n, Ordering::AcqRel);
    }
}

enum Body {
    Memory(Bytes),
    Spooled { path: PathBuf, len: u64 },
}

struct Job {
    key: String,
    body: Body,
    /// A newer version replaces this one while it waits.
    replaceable: bool,
    /// Being written now (a newer version queues behind it instead of replacing it).
    in_flight: bool,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    memory: usize,
    closed: bool,
    dropped: u64,
    written: u64,
    failing: bool,
}

struct Shared {
    state: Mutex<State>,
    /// Something was queued, or the queue was closed.
    work: Notify,
    /// The queue went empty.
    idle: Notify,
    bucket: Bucket,
    spool: Arc<Spool>,
    /// Spool files of this recording are named `<tag>-<n>`.
    tag: String,
    next_file: AtomicU64,
}

/// The producer's handle; dropping it does not stop the writer (call [`Uploads::close`]).
#[derive(Clone)]
pub struct Uploads {
    shared: Arc<Shared>,
}

fn lock(m: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Uploads {
    /// A queue writing to `bucket`, spooling to `spool`; `tag` names its spool files. Starts its task.
    pub fn start(bucket: Bucket, spool: Arc<Spool>, tag: &str) -> Uploads {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            work: Notify::new(),
            idle: Notify::new(),
            bucket,
            spool,
            tag: tag.to_string(),
            next_file: AtomicU64::new(0),
        });
        tokio::spawn(run(shared.clone()));
        Uploads { shared }
    }

    /// Queues a new object.
    pub async fn put(&self, key: String, body: Bytes) {
        self.queue(key, body, false).await;
    }

    /// Queues a new version of an object that is rewritten whole (a playlist): it replaces a version
    /// still waiting.
    pub async fn replace(&self, key: String, body: Bytes) {
        self.queue(key, body, true).await;
    }

    async fn queue(&self, key: String, body: Bytes, replaceable: bool) {
        let len = body.len();
        let fits = {
            let mut st = lock(&self.shared.state);
            if replaceable
                && let Some(i) = st.queue.iter().position(|j| j.key == key && j.replaceable && !j.in_flight)
            {
                let old = st.queue.remove(i);
                if let Some(old) = old {
                    self.forget(&mut st, old.body);
                }
            }
            // An object alone in the queue stays in memory whatever its size (a 10 s segment of a
            // high-bitrate stream may pass the budget by itself; the disk is for a backlog).
            st.memory == 0 || st.memory + len <= MEMORY_BUDGET
        };
        let body = if fits { Some(Body::Memory(body)) } else { self.spill(&key, body).await };
        let mut st = lock(&self.shared.state);
        match body {
            None => st.dropped += 1,
            Some(body) => {
                if let Body::Memory(b) = &body {
                    st.memory += b.len();
                }
                st.queue.push_back(Job { key, body, replaceable, in_flight: false });
            }
        }
        drop(st);
        self.shared.work.notify_one();
    }

    /// Writes an object that does not fit in memory to the spool; `None` when it had to be dropped
    /// (spool full or unwritable).
    async fn spill(&self, key: &str, body: Bytes) -> Option<Body> {
        let len = body.len() as u64;
        if !self.shared.spool.reserve(len) {
            tracing::error!(bucket = %self.shared.bucket.name, key, "recording spool full: an object was dropped");
            return None;
        }
        let n = self.shared.next_file.fetch_add(1, Ordering::Relaxed);
        let path = self.shared.spool.dir.join(format!("{}-{n}", self.shared.tag));
        let written = async {
            tokio::fs::create_dir_all(&self.shared.spool.dir).await?;
            tokio::fs::write(&path, &body).await
        };
        match written.await {
            Ok(()) => Some(Body::Spooled { path, len }),
            Err(e) => {
                self.shared.spool.release(len);
                tracing::error!(key, error = %e, "writing to the recording spool failed: an object was dropped");
                None
            }
        }
    }

    fn forget(&self, st: &mut State, body: Body) {
        match body {
            Body::Memory(b) => st.memory -= b.len(),
            Body::Spooled { path, len } => {
                self.shared.spool.release(len);
                let _ = std::fs::remove_file(path);
            }
        }
    }

    /// Objects dropped so far (spool full): a recording with any ends with a failure.
    pub fn dropped(&self) -> u64 {
        lock(&self.shared.state).dropped
    }

    /// Objects written so far.
    pub fn written(&self) -> u64 {
        lock(&self.shared.state).written
    }

    /// Bytes waiting in memory.
    pub fn memory(&self) -> usize {
        lock(&self.shared.state).memory
    }

    /// Waits until everything queued so far is written.
    pub async fn drained(&self) {
        loop {
            let idle = self.shared.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if lock(&self.shared.state).queue.is_empty() {
                return;
            }
            idle.await;
        }
    }

    /// No more objects: the task ends once the queue is written.
    pub fn close(&self) {
        lock(&self.shared.state).closed = true;
        self.shared.work.notify_one();
    }
}

async fn run(shared: Arc<Shared>) {
    let handle = Uploads { shared: shared.clone() };
    loop {
        let next = {
            let mut st = lock(&shared.state);
            let closed = st.closed;
            match st.queue.front_mut() {
                Some(job) => {
                    job.in_flight = true;
                    let body = match &job.body {
                        Body::Memory(b) => Ok(b.clone()),
                        Body::Spooled { path, .. } => Err(path.clone()),
                    };
                    Some((job.key.clone(), body))
                }
                None if closed => return,
                None => None,
            }
        };
        let Some((key, body)) = next else {
            shared.work.notified().await;
            continue;
        };
        let data = match body {
            Ok(b) => Some(b),
            Err(path) => match tokio::fs::read(&path).await {
                Ok(v) => Some(Bytes::from(v)),
                Err(e) => {
                    tracing::error!(key, error = %e, "reading the recording spool failed: an object was dropped");
                    None
                }
            },
        };
        let wrote = match data {
            Some(data) => {
                write(&shared, &key, data).await;
                true
            }
            None => false,
        };
        let mut st = lock(&shared.state);
        if let Some(job) = st.queue.pop_front() {
            handle.forget(&mut st, job.body);
        }
        if wrote {
            st.written += 1;
        } else {
            st.dropped += 1;
        }
        if st.queue.is_empty() {
            shared.idle.notify_waiters();
        }
    }
}

/// Writes one object, retrying until it is written.
async fn write(shared: &Shared, key: &str, data: Bytes) {
    let mut delay = FIRST_BACKOFF;
    let mut tries = 0u32;
    loop {
        match shared.bucket.put(key, data.clone()).await {
            Ok(()) => {
                let mut st = lock(&shared.state);
                if st.failing {
                    st.failing = false;
                    tracing::info!(bucket = %shared.bucket.name, tries, "recording uploads resumed");
                }
                return;
            }
            Err(e) => {
                tries += 1;
                let first = !std::mem::replace(&mut lock(&shared.state).failing, true);
                if first {
                    tracing::warn!(bucket = %shared.bucket.name, key, error = %e, "recording upload failed; retrying until the store is back (objects wait in memory, then in the spool)");
                } else {
                    tracing::debug!(key, error = %e, tries, "recording upload failed again");
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_BACKOFF);
            }
        }
    }
}
