//! The storage interface of openivs: resources, tags, references between resources, API keys, stream
//! sessions and small metadata, behind one trait with an embedded SQLite engine (the default) and room
//! for a PostgreSQL one. The control layer never sees SQL; engines never see HTTP or wire types.
//!
//! Every resource is one record: its ARN, kind, owner scope (account and region), name, an optional
//! parent (a stream key's channel), an optional unique value (a stream key's secret, a playback key's
//! fingerprint), the ARNs it references (a channel's recording configuration, …), its tags and a JSON
//! document with the kind's own fields. A monotonically increasing `seq` gives list operations a stable
//! order for keyset pagination.

mod sqlite;

pub use sqlite::SqliteStore;

use async_trait::async_trait;
use openivs_model::arn::ResourceType;
use std::collections::BTreeMap;

/// Who owns a resource: an account in a region.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scope {
    /// 12-digit account id.
    pub account: String,
    /// Region name from the request signature.
    pub region: String,
}

/// A stored resource.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// Insertion order (stable list order, pagination key).
    pub seq: i64,
    /// The resource's ARN.
    pub arn: String,
    /// Its kind.
    pub kind: ResourceType,
    /// Owner.
    pub scope: Scope,
    /// The id part of the ARN.
    pub id: String,
    /// Name ("" when unnamed).
    pub name: String,
    /// Parent ARN (a stream key's channel).
    pub parent: Option<String>,
    /// A value unique per kind and scope (stream key secret, key-pair fingerprint).
    pub unique: Option<String>,
    /// ARNs this resource references.
    pub refs: Vec<String>,
    /// The kind's fields as JSON.
    pub doc: String,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Creation time, ms since the epoch.
    pub created_ms: i64,
}

/// A resource to insert (its `seq` is assigned by the store).
#[derive(Clone, Debug)]
pub struct NewRecord {
    /// ARN.
    pub arn: String,
    /// Kind.
    pub kind: ResourceType,
    /// Owner.
    pub scope: Scope,
    /// Id part of the ARN.
    pub id: String,
    /// Name.
    pub name: String,
    /// Parent ARN, which must exist in the same scope.
    pub parent: Option<String>,
    /// Unique value (duplicates are a conflict).
    pub unique: Option<String>,
    /// Referenced ARNs, which must exist in the same scope.
    pub refs: Vec<String>,
    /// JSON document.
    pub doc: String,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Creation time, ms.
    pub created_ms: i64,
}

/// A limit checked atomically with an insert.
#[derive(Clone, Copy, Debug)]
pub enum Quota {
    /// At most `max` resources of the record's kind in its scope.
    PerScope(usize),
    /// At most `max` resources of the record's kind with the record's parent.
    PerParent(usize),
}

/// Which records a list returns.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Filter {
    /// All of the kind in the scope.
    All,
    /// Those with this exact name.
    Name(String),
    /// Those referencing this ARN.
    Refers(String),
    /// Those with this parent.
    Parent(String),
}

/// Changes to a record's fields by `update`.
#[derive(Clone, Debug, Default)]
pub struct Update {
    /// New name.
    pub name: Option<String>,
    /// New references (replace all), which must exist in the same scope.
    pub refs: Option<Vec<String>>,
    /// New document.
    pub doc: Option<String>,
}

/// An API key (access key id and secret) and what it may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKey {
    /// Access key id (`AKIA…`-style, public).
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Account the key acts for.
    pub account: String,
    /// Allowed actions (`ivs:GetChannel`, `ivs:List*`, `ivs:*`); empty means all.
    pub allow: Vec<String>,
    /// Creation time, ms.
    pub created_ms: i64,
}

/// A stream session as stored: ingest writes it while the channel is live and once more when it
/// ends; GetStreamSession and ListStreamSessions read it.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamSessionRecord {
    /// Order of the channel's sessions (assigned by the store on first write).
    pub seq: i64,
    /// `st-…` id.
    pub stream_id: String,
    /// The channel.
    pub channel_arn: String,
    /// The channel's owner.
    pub scope: Scope,
    /// When it went live, ms.
    pub start_ms: i64,
    /// When it ended, ms; `None` while live.
    pub end_ms: Option<i64>,
    /// It had a failure event.
    pub has_error: bool,
    /// The `StreamSession` as JSON.
    pub doc: String,
}

/// Store failures in storage words; control maps them to domain errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record (or a parent/reference it needs) does not exist in the scope.
    #[error("not found: {0}")]
    NotFound(String),
    /// Another record already has the unique value, or the ARN exists.
    #[error("duplicate: {0}")]
    Duplicate(String),
    /// A quota would be exceeded.
    #[error("quota of {0} exceeded")]
    QuotaExceeded(usize),
    /// The record is referenced by others (their ARNs).
    #[error("referenced by {0:?}")]
    Referenced(Vec<String>),
    /// Too many tags would result.
    #[error("too many tags: {0}")]
    TooManyTags(usize),
    /// The engine failed.
    #[error("storage backend: {0}")]
    Backend(String),
}

/// Result of store calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// The storage interface; one implementation per engine.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Inserts records atomically (all or none), checking that parents and references exist in the
    /// same scope, unique values, and the quota for the first record.
    async fn insert(&self, records: Vec<NewRecord>, quota: Option<Quota>) -> StoreResult<Vec<Record>>;
    /// The record with this ARN in the scope.
    async fn get(&self, scope: &Scope, arn: &str) -> StoreResult<Option<Record>>;
    /// The records of the scope with these ARNs (missing ones are left out).
    async fn get_many(&self, scope: &Scope, arns: &[String]) -> StoreResult<Vec<Record>>;
    /// Up to `limit` records of a kind after `after_seq`, in `seq` order.
    async fn list(
        &self,
        scope: &Scope,
        kind: ResourceType,
        filter: &Filter,
        after_seq: i64,
        limit: usize,
    ) -> StoreResult<Vec<Record>>;
    /// Changes a record; returns it as stored.
    async fn update(&self, scope: &Scope, arn: &str, update: Update) -> StoreResult<Record>;
    /// Deletes a record and its children; refused with `Referenced` while others reference it.
    async fn delete(&self, scope: &Scope, arn: &str) -> StoreResult<()>;
    /// Adds/replaces and removes tags atomically; refused when more than `max` would result.
    async fn tag(
        &self,
        scope: &Scope,
        arn: &str,
        add: BTreeMap<String, String>,
        remove: Vec<String>,
        max: usize,
    ) -> StoreResult<BTreeMap<String, String>>;
    /// The record of a kind with this unique value, in any scope (stream-key lookup for ingest).
    async fn find_unique(&self, kind: ResourceType, unique: &str) -> StoreResult<Option<Record>>;

    /// Stores a viewer-session revocation: sessions of `viewer_id` on the channel with a version at
    /// most `max_version` are revoked (a later call with a higher version widens it).
    async fn revoke_viewer(
        &self,
        scope: &Scope,
        channel_arn: &str,
        viewer_id: &str,
        max_version: i64,
        at_ms: i64,
    ) -> StoreResult<()>;
    /// The highest revoked version for a viewer on a channel, if any.
    async fn viewer_revocation(&self, channel_arn: &str, viewer_id: &str) -> StoreResult<Option<i64>>;

    /// Adds an API key.
    async fn put_key(&self, key: ApiKey) -> StoreResult<()>;
    /// The API key with this access key id.
    async fn get_key(&self, access_key_id: &str) -> StoreResult<Option<ApiKey>>;
    /// All API keys.
    async fn list_keys(&self) -> StoreResult<Vec<ApiKey>>;
    /// Deletes an API key; false when there was none.
    async fn delete_key(&self, access_key_id: &str) -> StoreResult<bool>;

    /// Writes a stream session: inserted the first time, its end, error flag and document replaced after.
    async fn put_stream_session(&self, session: StreamSessionRecord) -> StoreResult<()>;
    /// The session of a channel with this id, or its most recent one when `stream_id` is `None`.
    async fn get_stream_session(
        &self,
        channel_arn: &str,
        stream_id: Option<&str>,
    ) -> StoreResult<Option<StreamSessionRecord>>;
    /// Up to `limit` sessions of a channel with `seq` below `before_seq`, newest first.
    async fn list_stream_sessions(
        &self,
        channel_arn: &str,
        before_seq: i64,
        limit: usize,
    ) -> StoreResult<Vec<StreamSessionRecord>>;
    /// Sessions without an end (live when the server last stopped).
    async fn open_stream_sessions(&self) -> StoreResult<Vec<StreamSessionRecord>>;

    /// Marks a single-use playback token id used on a channel until `exp` (unix seconds); false if it
    /// already was and has not expired at `now`. Durable: a restart does not forget it.
    async fn use_single_use_token(
        &self,
        channel_arn: &str,
        id: &str,
        exp: u64,
        now: u64,
    ) -> StoreResult<bool>;

    /// Reads a metadata value, storing `default` first if there is none (atomically).
    async fn meta_get_or_init(&self, key: &str, default: &str) -> StoreResult<String>;
}
