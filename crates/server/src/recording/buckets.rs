//! The buckets recording configurations name: on the S3-compatible server openivs is configured with
//! (`--s3-endpoint`), or, in the embedded default, folders under `<data-dir>/buckets/<bucket>/` holding
//! the same keys. Writes only, whole objects (IVS's recording role may only `s3:PutObject`,
//! ivs-recording-events.md §1.3), so a playlist update is a new version of the same key.

use bytes::Bytes;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{Attribute, Attributes, BackoffConfig, ObjectStore, PutOptions, PutPayload, RetryConfig};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An S3-compatible server and how to sign for it.
#[derive(Clone)]
pub struct S3Settings {
    /// Endpoint URL, e.g. `http://127.0.0.1:8333` or `https://s3.eu-west-1.amazonaws.com`.
    pub endpoint: String,
    /// Region signed for.
    pub region: String,
    /// Access key id; `None` sends unsigned requests.
    pub access_key_id: Option<String>,
    /// Its secret.
    pub secret_access_key: Option<String>,
    /// A session token, for temporary credentials.
    pub session_token: Option<String>,
    /// `bucket.host` addressing instead of `host/bucket` (path style, what local servers expect).
    pub virtual_hosted: bool,
}

impl std::fmt::Debug for S3Settings {
    // The secret and the token never reach logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("virtual_hosted", &self.virtual_hosted)
            .finish_non_exhaustive()
    }
}

/// Where buckets live.
#[derive(Clone, Debug)]
pub enum Storage {
    /// A folder per bucket under this directory (`<data-dir>/buckets`).
    Local(PathBuf),
    /// An S3-compatible server.
    S3(S3Settings),
}

/// Why a bucket cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BucketError {
    /// Not a bucket name S3 accepts (3–63 of `a-z 0-9 . -`, starting and ending with a letter or digit).
    #[error("invalid bucket name {0:?}")]
    InvalidName(String),
    /// The store could not be set up or written.
    #[error("{0}")]
    Store(#[from] object_store::Error),
    /// The local folder could not be created.
    #[error("creating the bucket folder: {0}")]
    Io(#[from] std::io::Error),
}

/// The buckets of one server, each opened once.
pub struct Buckets {
    storage: Storage,
    open: Mutex<HashMap<String, Bucket>>,
}

/// One bucket: whole-object writes.
#[derive(Clone)]
pub struct Bucket {
    /// Its name.
    pub name: String,
    store: Arc<dyn ObjectStore>,
    /// Content types are sent to S3 (a local folder keeps none).
    typed: bool,
}

/// Bucket names as S3 accepts them; the check also keeps a local bucket inside `buckets/`.
fn valid_name(name: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (3..=63).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && edge(name.chars().next())
        && edge(name.chars().last())
        && !name.contains("..")
}

impl Buckets {
    /// Buckets in `storage`.
    pub fn new(storage: Storage) -> Self {
        Buckets { storage, open: Mutex::new(HashMap::new()) }
    }

    /// Where buckets live.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The bucket with this name, opened on first use (a local one is created).
    pub fn bucket(&self, name: &str) -> Result<Bucket, BucketError> {
        if !valid_name(name) {
            return Err(BucketError::InvalidName(name.to_string()));
        }
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = open.get(name) {
            return Ok(b.clone());
        }
        let (store, typed): (Arc<dyn ObjectStore>, bool) = match &self.storage {
            Storage::Local(root) => {
                let dir = root.join(name);
                std::fs::create_dir_all(&dir)?;
                (Arc::new(LocalFileSystem::new_with_prefix(dir)?), false)
            }
            Storage::S3(s3) => (Arc::new(s3_store(s3, name)?), true),
        };
        let bucket = Bucket { name: name.to_string(), store, typed };
        open.insert(name.to_string(), bucket.clone());
        Ok(bucket)
    }
}

fn s3_store(s3: &S3Settings, bucket: &str) -> object_store::Result<object_store::aws::AmazonS3> {
    let mut b = AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_endpoint(&s3.endpoint)
        .with_region(&s3.region)
        .with_allow_http(true)
        .with_virtual_hosted_style_request(s3.virtual_hosted)
        // A few quick retries here; the upload queue retries for as long as the server runs, with
        // its own backoff, so a store that is down does not hold one request for minutes.
        .with_retry(RetryConfig {
            backoff: BackoffConfig::default(),
            max_retries: 2,
            retry_timeout: Duration::from_secs(20),
        });
    match (&s3.access_key_id, &s3.secret_access_key) {
        (Some(id), Some(secret)) => {
            b = b.with_access_key_id(id).with_secret_access_key(secret);
            if let Some(token) = &s3.session_token {
                b = b.with_token(token);
            }
        }
        _ => b = b.with_skip_signature(true),
    }
    b.build()
}

/// The content type of a recording's key, by its extension.
fn content_type(key: &str) -> Option<&'static str> {
    let ext = key.rsplit_once('.').map(|(_, e)| e)?;
    Some(match ext {
        "json" => "application/json",
        "m3u8" => "application/vnd.apple.mpegurl",
        "ts" => "video/MP2T",
        "mp4" | "m4s" => "video/mp4",
        "jpg" => "image/jpeg",
        _ => return None,
    })
}

impl Bucket {
    /// Writes one object whole (a later write of the key replaces it).
    pub async fn put(&self, key: &str, body: Bytes) -> object_store::Result<()> {
        let mut attributes = Attributes::new();
        if self.typed
            && let Some(ty) = content_type(key)
        {
            attributes.insert(Attribute::ContentType, ty.into());
        }
        let opts = PutOptions { attributes, ..Default::default() };
        self.store.put_opts(&ObjectPath::from(key), PutPayload::from(body), opts).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_s3_rules() {
        for ok in ["rec", "my-recordings", "a.b-c", "0123456789"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["ab", "UPPER", "-edge", "edge-", "a..b", "...", "with/slash", "a_b", &"x".repeat(64)] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let s = S3Settings {
            endpoint: "http://127.0.0.1:1".into(),
            region: "us-east-1".into(),
            access_key_id: Some("AKID".into()),
            secret_access_key: Some("the-secret".into()),
            session_token: Some("the-token".into()),
            virtual_hosted: false,
        };
        let text = format!("{:?}", Storage::S3(s));
        assert!(
            text.contains("AKID") && !text.contains("the-secret") && !text.contains("the-token"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_local_bucket_is_a_folder_with_the_keys() {
        let dir = std::env::temp_dir().join(format!("openivs-buckets-{}", crate::control::ids::alnum(8)));
        let buckets = Buckets::new(Storage::Local(dir.clone()));
        let b = buckets.bucket("rec").unwrap();
        b.put("ivs/v1/1/a/events/ivs-check", Bytes::new()).await.unwrap();
        b.put("ivs/v1/1/a/media/hls/master.m3u8", Bytes::from_static(b"#EXTM3U")).await.unwrap();
        b.put("ivs/v1/1/a/media/hls/master.m3u8", Bytes::from_static(b"#EXTM3U\n2")).await.unwrap();
        assert_eq!(std::fs::read(dir.join("rec/ivs/v1/1/a/events/ivs-check")).unwrap(), b"");
        assert_eq!(std::fs::read(dir.join("rec/ivs/v1/1/a/media/hls/master.m3u8")).unwrap(), b"#EXTM3U\n2");
        assert!(matches!(buckets.bucket("../etc"), Err(BucketError::InvalidName(_))));
        let _ = std::fs::remove_dir_all(dir);
    }
}
