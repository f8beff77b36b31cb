//! Group commit for the SQLite engine: one thread owns the write connection and runs queued writes
//! in batches, each write inside its own savepoint of one shared `BEGIN IMMEDIATE` transaction.
//!
//! A write that fails rolls back to its savepoint and leaves the batch's other writes alone; results
//! are handed back only after the batch's COMMIT, so a success is never reported for a write that
//! did not reach the WAL. Batching turns many small commits (each rewriting the same index pages)
//! into one, which is what keeps write latency low under concurrency. Checkpoints run on a separate
//! connection in the background (`wal_checkpoint(PASSIVE)`), so no write waits behind one.

use super::{backend, open_conn};
use crate::store::{StoreError, StoreResult};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::path::Path;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Writes waiting for the writer thread; past this, callers wait to enqueue (back-pressure).
const QUEUE: usize = 1024;
/// Most writes in one transaction.
const BATCH: usize = 128;
/// How often the background checkpoint runs.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Runs a write inside the batch's transaction (`None` when the transaction could not begin); returns
/// whether it succeeded, and what to do once the batch's commit result is known.
type Job = Box<dyn FnOnce(Option<&Transaction>) -> (bool, Done) + Send>;
type Done = Box<dyn FnOnce(Result<(), String>) + Send>;

/// The queue in front of the writer thread.
pub struct Writer {
    jobs: mpsc::Sender<Job>,
    /// The checkpointer runs while this lives.
    _alive: std::sync::Arc<()>,
}

impl Writer {
    /// Starts the writer thread over `conn` and the checkpointer over a second connection to `path`.
    pub fn start(mut conn: Connection, path: &Path) -> StoreResult<Self> {
        conn.execute_batch("PRAGMA wal_autocheckpoint=0;").map_err(backend)?;
        let (jobs, rx) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("openivs-sqlite-writer".into())
            .spawn(move || run(&mut conn, rx))
            .map_err(backend)?;
        let checkpoint = open_conn(path)?;
        let alive = std::sync::Arc::new(());
        let weak = std::sync::Arc::downgrade(&alive);
        std::thread::Builder::new()
            .name("openivs-sqlite-checkpoint".into())
            .spawn(move || checkpoints(checkpoint, weak))
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
        self.jobs.send(job).await.map_err(|_| StoreError::Backend("the writer thread has stopped".into()))?;
        result.await.map_err(|_| StoreError::Backend("the writer thread dropped a write".into()))?
    }
}

fn run(conn: &mut Connection, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(conn, batch);
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

fn checkpoints(conn: Connection, alive: std::sync::Weak<()>) {
    while alive.upgrade().is_some() {
        std::thread::sleep(CHECKPOINT_EVERY);
        if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE);") {
            tracing::warn!(error = %e, "background checkpoint failed");
        }
    }
}
