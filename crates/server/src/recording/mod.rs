//! Auto-record to S3 (ivs-recording-events.md; issue 10): every stream of a channel with a recording
//! configuration is written to its bucket in Amazon IVS's layout, so tools built for IVS recordings
//! read ours unchanged.
//!
//! - [`buckets`]: the buckets configurations name, on an S3-compatible server or as local folders.
//! - [`upload`]: a recording's upload queue (ordered, retried, bounded in memory, spooled to disk).
//! - [`files`]: the key prefix and the `recording-*.json` files.
//! - [`journal`]: the recordings in progress, so that a killed server ends them at its next start.
//! - [`thumbnails`]: JPEGs of keyframes every `targetIntervalSeconds`.
//! - [`recorder`]: the task per recording: hub → `openivs_media::recording` (segments and playlists)
//!   → uploads, the reconnect window that merges streams, and the recording's session events.

pub mod buckets;
pub mod files;
pub mod journal;
pub mod recorder;
pub mod thumbnails;
pub mod upload;

pub use buckets::{Buckets, S3Settings, Storage};
pub use recorder::Recorder;

/// Control's destination check: an empty `ivs/v1/<account>/ivs-check` in the bucket. IVS may write
/// only under `ivs/` (its role's policy), and the recordings' own check objects are empty too.
#[async_trait::async_trait]
impl crate::control::DestinationCheck for Buckets {
    async fn check(&self, account: &str, bucket: &str) -> Result<(), String> {
        let b = self.bucket(bucket).map_err(|e| e.to_string())?;
        let key = format!("ivs/v1/{account}/ivs-check");
        let put = b.put(&key, bytes::Bytes::new());
        match tokio::time::timeout(std::time::Duration::from_secs(15), put).await {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(_) => Err("the bucket did not answer in 15 s".into()),
        }
    }
}
