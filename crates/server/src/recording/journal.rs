//! The journal of recordings in progress: one small JSON file per open recording under
//! `<data-dir>/recordings/`, rewritten (write, then rename) as it goes and removed when it ends. A
//! server that was killed finds the files at its next start and ends those recordings for good:
//! `events/recording-failed.json` in their prefix (what was queued for upload when it died is lost:
//! the spool does not survive a restart yet) and the Recording End Failure event on the last
//! stream's session, so no recording stays open forever (issue 10 §12, "kill -9").

use super::buckets::Buckets;
use super::files::{self, RenditionFile, Status};
use crate::ingest::session;
use crate::store::Store;
use openivs_model::{StreamSession, Timestamp};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What is needed to end a recording after a crash.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct OpenRecording {
    /// Its bucket.
    pub bucket: String,
    /// Its key prefix.
    pub prefix: String,
    /// The channel.
    pub channel_arn: String,
    /// When it started, Unix ms.
    pub started_ms: i64,
    /// Its rendition, once known: folder name and size.
    pub rendition: Option<(String, Option<(u32, u32)>)>,
    /// Media queued so far, ms.
    pub duration_ms: i64,
    /// The stream recorded last.
    pub last_stream_id: String,
}

/// The journal's directory.
#[derive(Clone, Debug)]
pub struct Journal {
    dir: PathBuf,
}

impl Journal {
    /// A journal in `dir` (created on first write).
    pub fn new(dir: PathBuf) -> Self {
        Journal { dir }
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// Records the state of recording `id`.
    pub async fn write(&self, id: &str, open: &OpenRecording) {
        let result = async {
            tokio::fs::create_dir_all(&self.dir).await?;
            let tmp = self.dir.join(format!(".{id}.tmp"));
            tokio::fs::write(&tmp, serde_json::to_vec(open)?).await?;
            tokio::fs::rename(&tmp, self.path(id)).await
        };
        if let Err(e) = result.await {
            tracing::warn!(error = %e, "writing the recording journal failed");
        }
    }

    /// Forgets recording `id` (it ended).
    pub async fn remove(&self, id: &str) {
        let _ = tokio::fs::remove_file(self.path(id)).await;
    }

    /// The recordings a previous run left open.
    pub fn left_open(&self) -> Vec<(String, OpenRecording)> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return Vec::new() };
        let mut out = Vec::new();
        for e in entries.flatten() {
            let p = e.path();
            let Some(id) = p.file_stem().and_then(|s| s.to_str()).filter(|s| !s.starts_with('.')) else {
                continue;
            };
            match std::fs::read(&p)
                .map_err(|e| e.to_string())
                .and_then(|b| serde_json::from_slice::<OpenRecording>(&b).map_err(|e| e.to_string()))
            {
                Ok(open) => out.push((id.to_string(), open)),
                Err(e) => {
                    tracing::warn!(file = %p.display(), error = %e, "unreadable recording journal entry removed");
                    let _ = std::fs::remove_file(&p);
                }
            }
        }
        out
    }
}

/// Ends the recordings a killed server left open: the failed file in each prefix and the event on
/// its last session. An entry whose file cannot be written (the store is down) stays for next time.
pub async fn recover(journal: &Journal, buckets: &Buckets, store: &dyn Store) -> usize {
    let mut ended = 0;
    for (id, open) in journal.left_open() {
        let renditions: Vec<RenditionFile> = open
            .rendition
            .iter()
            .map(|(path, resolution)| RenditionFile { path: path.clone(), resolution: *resolution })
            .collect();
        let status = Status::Failed {
            at_ms: Timestamp::now().unix_millis(),
            duration_ms: open.duration_ms,
            message: "InternalServerException".into(),
        };
        let text = files::recording_file(&open.channel_arn, open.started_ms, &status, &renditions, None);
        let key = format!("{}/{}", open.prefix, status.key());
        let written = match buckets.bucket(&open.bucket) {
            Ok(b) => b.put(&key, bytes::Bytes::from(text)).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = written {
            tracing::warn!(prefix = %open.prefix, error = %e, "could not end a recording left open by the last run; trying again at the next start");
            continue;
        }
        add_failure(store, &open).await;
        journal.remove(&id).await;
        tracing::info!(prefix = %open.prefix, "ended a recording left open by the last run (recording-failed.json)");
        ended += 1;
    }
    ended
}

async fn add_failure(store: &dyn Store, open: &OpenRecording) {
    let Ok(Some(mut rec)) = store.get_stream_session(&open.channel_arn, Some(&open.last_stream_id)).await
    else {
        return;
    };
    let Ok(mut doc) = serde_json::from_str::<StreamSession>(&rec.doc) else { return };
    let mut ev = session::event("Recording End Failure", "IVS Recording State Change", Timestamp::now());
    ev.code = Some("InternalServerException".into());
    session::push_event(&mut doc, ev);
    rec.has_error = true;
    if let Ok(text) = serde_json::to_string(&doc) {
        rec.doc = text;
        if let Err(e) = store.put_stream_session(rec).await {
            tracing::warn!(error = %e, "adding the recording's end to its session failed");
        }
    }
}

/// The journal directory of a data dir.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("recordings")
}
