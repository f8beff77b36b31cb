//! The IVS domain: one method per API operation on [`Service`], named as the model names them
//! (`CreateChannel` → `create_channel`), taking the caller's [`Ctx`] and the operation's input type and
//! returning its output type or a [`DomainError`]. No HTTP here; the API layer calls in after it has
//! authenticated the caller and checked the input against the model's constraints.

mod ads;
mod channels;
pub mod error;
mod failover;
pub mod ids;
pub mod limits;
pub mod live;
pub mod paging;
mod playback_keys;
mod policies;
mod recording;
mod stream_keys;
mod streams;
mod tags;

pub use error::{DomainError, DomainResult};
pub use recording::DestinationCheck;

use crate::store::{Filter, NewRecord, Quota, Record, Scope, Store, StoreError};
use live::LiveStreams;
use openivs_model::Operation;
use openivs_model::arn::{Arn, ResourceType};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The caller: the account its key belongs to and the region it signed for.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// Account and region.
    pub scope: Scope,
}

/// Where clients reach the media plane; the URLs in channels are built from these at read time, so a
/// new `--public-host` applies to existing channels too.
#[derive(Clone, Debug)]
pub struct Urls {
    /// `ingestEndpoint`: host, plus `:port` when RTMPS is not on 443.
    pub ingest_endpoint: String,
    /// Base of `playbackUrl`, e.g. `http://127.0.0.1:8080` (no trailing slash).
    pub playback_base: String,
    /// `srt.endpoint`.
    pub srt_endpoint: String,
}

/// Tags per resource (AWS tagging rules).
pub const MAX_TAGS: usize = 50;

/// The domain service.
pub struct Service {
    store: Arc<dyn Store>,
    urls: Urls,
    live: Arc<dyn LiveStreams>,
    paging: paging::Paging,
    limits: Option<limits::RateLimiter>,
    /// Checks recording destinations; without one, configurations are ACTIVE at once.
    destinations: Option<Arc<dyn DestinationCheck>>,
    /// Recording configurations whose destination check runs now.
    probing: Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
}

impl Service {
    /// A service over a store; `rate_limits` turns IVS's API rate limits on.
    pub fn new(
        store: Arc<dyn Store>,
        urls: Urls,
        live: Arc<dyn LiveStreams>,
        paging_key: [u8; 32],
        rate_limits: bool,
    ) -> Self {
        let limits = rate_limits.then(limits::RateLimiter::default);
        Self {
            store,
            urls,
            live,
            paging: paging::Paging::new(paging_key),
            limits,
            destinations: None,
            probing: Default::default(),
        }
    }

    /// The same service checking recording destinations with `check`: new recording configurations
    /// are CREATING until a probe write to their bucket succeeds.
    pub fn with_destination_check(mut self, check: Arc<dyn DestinationCheck>) -> Self {
        self.destinations = Some(check);
        self
    }

    /// The store (for the API layer's key lookups).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Applies the per-operation rate limit, if limits are on.
    pub fn check_rate(&self, ctx: &Ctx, op: Operation) -> DomainResult<()> {
        match &self.limits {
            Some(l) => l.operation(&ctx.scope, op),
            None => Ok(()),
        }
    }

    /// A new record of `kind` in the caller's scope with a fresh id.
    fn new_record(
        &self,
        ctx: &Ctx,
        kind: ResourceType,
        name: Option<String>,
        doc: &impl Serialize,
    ) -> DomainResult<NewRecord> {
        let id = ids::resource_id();
        let arn = Arn::new(&ctx.scope.region, &ctx.scope.account, kind, &id).to_string();
        Ok(NewRecord {
            arn,
            kind,
            scope: ctx.scope.clone(),
            id,
            name: name.unwrap_or_default(),
            parent: None,
            unique: None,
            refs: Vec::new(),
            doc: serde_json::to_string(doc)?,
            tags: BTreeMap::new(),
            created_ms: openivs_model::Timestamp::now().unix_millis(),
        })
    }

    /// Inserts one record, mapping a quota failure to a message about `kind`.
    async fn insert(&self, rec: NewRecord, quota: Option<Quota>) -> DomainResult<Record> {
        let kind = rec.kind;
        let mut out = self.store.insert(vec![rec], quota).await.map_err(|e| quota_error(e, kind))?;
        out.pop().ok_or_else(|| DomainError::Internal("insert returned nothing".into()))
    }

    /// The record of `kind` with this ARN in the caller's scope, or `ResourceNotFoundException`.
    async fn load(&self, ctx: &Ctx, kind: ResourceType, arn: &str) -> DomainResult<Record> {
        match self.store.get(&ctx.scope, arn).await? {
            Some(r) if r.kind == kind => Ok(r),
            _ => Err(not_found(kind, arn)),
        }
    }

    /// Deletes a record of `kind`; in use by a channel is a `ConflictException`.
    async fn delete_record(&self, ctx: &Ctx, kind: ResourceType, arn: &str) -> DomainResult<()> {
        self.load(ctx, kind, arn).await?;
        self.store.delete(&ctx.scope, arn).await.map_err(|e| match e {
            StoreError::Referenced(by) => DomainError::Conflict(format!(
                "The {} {arn} is in use by {}; remove it from {} first",
                kind.human(),
                by.join(", "),
                if by.len() == 1 { "that resource" } else { "those resources" }
            )),
            StoreError::NotFound(_) => not_found(kind, arn),
            e => e.into(),
        })
    }

    /// One page of records for a list operation, and the token of the next page.
    async fn page(
        &self,
        ctx: &Ctx,
        list: Listing,
        filter: Filter,
        token: Option<&str>,
        max: Option<i32>,
    ) -> DomainResult<(Vec<Record>, Option<String>)> {
        let Listing { op, kind, default_page } = list;
        let key = format!("{filter:?}");
        let req = self.paging.request(op, &key, token, max, default_page)?;
        let mut records = self.store.list(&ctx.scope, kind, &filter, req.after_seq, req.limit + 1).await?;
        let next = if records.len() > req.limit {
            records.truncate(req.limit);
            records.last().map(|r| self.paging.token(op, &key, r.seq))
        } else {
            None
        };
        Ok((records, next))
    }
}

/// The summary form of a resource: its summary type holds a subset of the full type's members, with
/// the same names, so it is read back from the full one's JSON.
fn summary<S: DeserializeOwned>(full: &impl Serialize) -> DomainResult<S> {
    Ok(serde_json::from_value(serde_json::to_value(full)?)?)
}

/// What a list operation lists: its resource kind, and its page size when `maxResults` is absent.
#[derive(Clone, Copy)]
struct Listing {
    op: Operation,
    kind: ResourceType,
    default_page: usize,
}

/// Reads a record's stored document.
fn doc<T: DeserializeOwned>(r: &Record) -> DomainResult<T> {
    Ok(serde_json::from_str(&r.doc)?)
}

/// `ResourceNotFoundException` for a resource of `kind`.
fn not_found(kind: ResourceType, arn: &str) -> DomainError {
    let mut what = kind.human().to_string();
    if let Some(first) = what.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    DomainError::NotFound(format!("{what} not found: {arn}"))
}

fn quota_error(e: StoreError, kind: ResourceType) -> DomainError {
    match e {
        StoreError::QuotaExceeded(n) => DomainError::QuotaExceeded(format!(
            "Quota exceeded: at most {n} {}{} allowed{}",
            kind.human(),
            if n == 1 { "" } else { "s" },
            if kind == ResourceType::StreamKey { " per channel" } else { " per account and region" }
        )),
        StoreError::NotFound(arn) => match Arn::parse(&arn) {
            Some(a) => not_found(a.resource_type, &arn),
            None => DomainError::NotFound(format!("Resource not found: {arn}")),
        },
        e => e.into(),
    }
}

/// Tags given on create, with the AWS rule that the `aws:` prefix is reserved.
fn create_tags(tags: Option<BTreeMap<String, String>>) -> DomainResult<BTreeMap<String, String>> {
    let tags = tags.unwrap_or_default();
    tags::check_reserved(tags.keys())?;
    Ok(tags)
}

/// `Some(s)` unless `s` is empty: the model uses `""` for "none" in optional ARNs.
fn non_empty(s: Option<&String>) -> Option<String> {
    s.filter(|s| !s.is_empty()).cloned()
}
