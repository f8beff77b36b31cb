//! Group commit for the SQLite engine: one thread owns the write connection and runs queued writes
//! in batches, each write inside its own savepoint of one shared `BEGIN IMMEDIATE` transaction.
//!
//! A write that fails rolls back to its savepoint and leaves the batch's other writes alone; results
//! are handed back only after the batch's COMMIT, so a success is never reported for a write that
//! did not reach the WAL. Batching turns many small commits (each rewriting the same index pages)
//! into one, which is what keeps write latency low under concurrency. Checkpoints run on a separate
//! connection in the background (`wal_checkpoint(PASSIVE)`), so no write waits behind one.
//!
//! A passive checkpoint copies frames into the database but never restarts the WAL while readers keep
//! snapshots open, and the file never shrinks: back-to-back writes grew it to 1.7 GB in 60 s for a
//! 23 MB database (issue 16). So the WAL is also truncated (`wal_checkpoint(TRUNCATE)`, which waits
//! for the readers of the moment, a few milliseconds): by the writer thread itself whenever the file
//! passes [`TRUNCATE_AT`] after a batch (writes queue meanwhile, which is the back-pressure that
//! keeps the WAL bounded at any rate), by the checkpointer when the writer has been idle for a tick,
//! and at a clean stop ([`Writer::checkpoint_truncate`]). None of this changes durability: a commit
//! is in the WAL before it is acknowledged, and a checkpoint only copies committed frames.

use super::{backend, open_conn};
use crate::store::{StoreError, StoreResult};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Writes waiting for the writer thread; past this, callers wait to enqueue (back-pressure).
const QUEUE: usize = 1024;
/// Most writes in one transaction.
const BATCH: usize = 128;
/// How often the background checkpoint runs.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);
/// WAL size past which the writer truncates it after a batch: well under the 64 MiB the WAL must stay
/// below, with room for the batch that crosses it (128 writes of a few pages each).
pub const TRUNCATE_AT: u64 = 16 << 20;

/// Runs a write inside the batch's transaction (`None` when the transaction could not begin); returns
/// whether it succeeded, and what to do once the batch's commit result is known.
type Job = Box<dyn FnOnce(Option<&Transaction>) -> (bool, Done) + Send>;
type Done = Box<dyn FnOnce(Result<(), String>) + Send>;

/// What the writer thread is asked to do.
enum Task {
    Write(Job),
    /// Truncate the WAL, answering once done.
    Truncate(oneshot::Sender<StoreResult<()>>),
}

/// The queue in front of the writer thread.
pub struct Writer {
    jobs: mpsc::Sender<Task>,
    /// The checkpointer runs while this lives.
    _alive: std::sync::Arc<()>,
}

impl Writer {
    /// Starts the writer thread over `conn` and the checkpointer over a second connection to `path`.
    pub fn start(mut conn: Connection, path: &Path) -> StoreResult<Self> {
        // A WAL that is restarted without a truncate (after a passive checkpoint) is cut back to this.
        conn.execute_batch(&format!("PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit={TRUNCATE_AT};"))
            .map_err(backend)?;
        let (jobs, rx) = mpsc::channel(QUEUE);
        let wal = wal_path(path);
        std::thread::Builder::new()
            .name("openivs-sqlite-writer".into())
            .spawn(move || run(&mut conn, rx, &wal))
            .map_err(backend)?;
        let checkpoint = open_conn(path)?;
        let alive = std::sync::Arc::new(());
        let weak = std::sync::Arc::downgrade(&alive);
        std::thread::Builder::new()
            .name("openivs-sqlite-checkpoint".into())
            .spawn({
                let wal = wal_path(path);
                move || checkpoints(checkpoint, weak, &wal)
            })
            .map_err(backend)?;
        Ok(Self { jobs, _alive: alive })
    }

    /// Runs `f` in a write transaction (shared with other writes of the same batch) and returns its
    /// result once committed.
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let (reply, result) = oneshot::channel();
        let job: Job = Box::new(move |tx| {
            let out = match tx {
                Some(tx) => f(tx),
                None => Err(StoreError::Backend("the write transaction could not begin".into())),
            };
            let ok = out.is_ok();
            let done: Done = Box::new(move |commit| {
                let _ = reply.send(match commit {
                    Ok(()) => out,
                    Err(e) => Err(StoreError::Backend(e)),
                });
            });
            (ok, done)
        });
        self.jobs
            .send(Task::Write(job))
            .await
            .map_err(|_| StoreError::Backend("the writer thread has stopped".into()))?;
        result.await.map_err(|_| StoreError::Backend("the writer thread dropped a write".into()))?
    }

    /// Truncates the WAL once the writes queued before this have committed.
    pub async fn checkpoint_truncate(&self) -> StoreResult<()> {
        let (reply, result) = oneshot::channel();
        self.jobs
            .send(Task::Truncate(reply))
            .await
            .map_err(|_| StoreError::Backend("the writer thread has stopped".into()))?;
        result.await.map_err(|_| StoreError::Backend("the writer thread dropped a checkpoint".into()))?
    }
}

/// The WAL file of the database at `path`.
fn wal_path(path: &Path) -> PathBuf {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    PathBuf::from(wal)
}

fn wal_len(wal: &Path) -> u64 {
    std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
}

/// Copies the whole WAL into the database and truncates it to zero bytes, waiting (busy timeout)
/// for readers on older snapshots to finish. Whether it completed.
fn truncate(conn: &Connection) -> StoreResult<bool> {
    // One row: busy (1 when it could not finish), frames in the WAL, frames checkpointed.
    let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE);", [], |r| r.get(0)).map_err(backend)?;
    Ok(busy == 0)
}

fn run(conn: &mut Connection, mut rx: mpsc::Receiver<Task>, wal: &Path) {
    let mut next = rx.blocking_recv();
    while let Some(task) = next.take() {
        let mut batch = match task {
            Task::Write(job) => vec![job],
            Task::Truncate(reply) => {
                let _ = reply.send(truncate(conn).map(|_| ()));
                next = rx.blocking_recv();
                continue;
            }
        };
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(Task::Write(job)) => batch.push(job),
                Ok(other) => {
                    next = Some(other);
                    break;
                }
                Err(_) => break,
            }
        }
        run_batch(conn, batch);
        if wal_len(wal) > TRUNCATE_AT {
            match truncate(conn) {
                Ok(true) => {}
                Ok(false) => tracing::debug!("WAL truncate could not finish; trying after the next batch"),
                Err(e) => tracing::warn!(error = %e, "WAL truncate failed"),
            }
        }
        if next.is_none() {
            next = rx.blocking_recv();
        }
    }
}

fn run_batch(conn: &mut Connection, batch: Vec<Job>) {
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            // Nothing ran: every write of the batch fails with the same cause.
            let msg = e.to_string();
            for job in batch {
                let (_, done) = job(None);
                done(Err(msg.clone()));
            }
            return;
        }
    };
    let mut done = Vec::with_capacity(batch.len());
    for job in batch {
        let savepoint = exec(&tx, "SAVEPOINT write");
        let (ok, d) = job(Some(&tx));
        let closed = if ok && savepoint.is_ok() {
            exec(&tx, "RELEASE write")
        } else {
            exec(&tx, "ROLLBACK TO write").and_then(|()| exec(&tx, "RELEASE write"))
        };
        if let Err(e) = closed {
            tracing::error!(error = %e, "savepoint could not be closed");
        }
        done.push(d);
    }
    let commit = tx.commit().map_err(|e| e.to_string());
    if let Err(e) = &commit {
        tracing::error!(error = %e, "write batch could not be committed");
    }
    for d in done {
        d(commit.clone());
    }
}

/// Runs one statement through the connection's statement cache (these run for every write).
fn exec(tx: &Transaction, sql: &str) -> rusqlite::Result<()> {
    tx.prepare_cached(sql)?.execute([]).map(|_| ())
}

fn checkpoints(conn: Connection, alive: std::sync::Weak<()>, wal: &Path) {
    let mut last_len = 0;
    while alive.upgrade().is_some() {
        std::thread::sleep(CHECKPOINT_EVERY);
        let len = wal_len(wal);
        // Unchanged for a tick: the writer is idle, and a truncate costs it nothing.
        let checkpoint = if len > 0 && len == last_len {
            truncate(&conn).map(|_| ())
        } else {
            conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE);").map_err(backend)
        };
        if let Err(e) = checkpoint {
            tracing::warn!(error = %e, "background checkpoint failed");
        }
        last_len = wal_len(wal);
    }
}
