//! DeleteChannel racing an encoder that is being authorized, in both orders that matter, made
//! deterministic by a store that holds one call until the test lets it go.

use super::*;
use crate::control::{Ctx, Urls};
use crate::store::{ApiKey, Filter, NewRecord, Quota, Record, Scope, SqliteStore, StoreResult, Update};
use openivs_model::{CreateChannelRequest, DeleteChannelRequest};
use std::collections::BTreeMap;
use std::sync::Mutex;
use tokio::sync::oneshot;

/// Holds a call on one ARN: tells `reached`, then waits for `release`.
struct Gate {
    arn: String,
    reached: oneshot::Sender<()>,
    release: oneshot::Receiver<()>,
}

/// A store that can hold the next `get` (after reading) or `delete` (before deleting) of an ARN.
struct Gated {
    inner: Arc<dyn Store>,
    on_get: Mutex<Option<Gate>>,
    on_delete: Mutex<Option<Gate>>,
}

impl Gated {
    async fn pass(slot: &Mutex<Option<Gate>>, arn: &str) {
        let gate = {
            let mut slot = slot.lock().unwrap();
            if slot.as_ref().is_some_and(|g| g.arn == arn) { slot.take() } else { None }
        };
        if let Some(g) = gate {
            let _ = g.reached.send(());
            let _ = g.release.await;
        }
    }
}

/// Arms a gate; returns (reached, release).
fn arm(slot: &Mutex<Option<Gate>>, arn: &str) -> (oneshot::Receiver<()>, oneshot::Sender<()>) {
    let (reached_tx, reached_rx) = oneshot::channel();
    let (release_tx, release_rx) = oneshot::channel();
    *slot.lock().unwrap() = Some(Gate { arn: arn.into(), reached: reached_tx, release: release_rx });
    (reached_rx, release_tx)
}

#[async_trait::async_trait]
impl Store for Gated {
    async fn insert(&self, records: Vec<NewRecord>, quota: Option<Quota>) -> StoreResult<Vec<Record>> {
        self.inner.insert(records, quota).await
    }
    async fn get(&self, scope: &Scope, arn: &str) -> StoreResult<Option<Record>> {
        let r = self.inner.get(scope, arn).await;
        Self::pass(&self.on_get, arn).await;
        r
    }
    async fn get_many(&self, scope: &Scope, arns: &[String]) -> StoreResult<Vec<Record>> {
        self.inner.get_many(scope, arns).await
    }
    async fn list(
        &self,
        scope: &Scope,
        kind: ResourceType,
        filter: &Filter,
        after_seq: i64,
        limit: usize,
    ) -> StoreResult<Vec<Record>> {
        self.inner.list(scope, kind, filter, after_seq, limit).await
    }
    async fn update(&self, scope: &Scope, arn: &str, update: Update) -> StoreResult<Record> {
        self.inner.update(scope, arn, update).await
    }
    async fn delete(&self, scope: &Scope, arn: &str) -> StoreResult<()> {
        Self::pass(&self.on_delete, arn).await;
        self.inner.delete(scope, arn).await
    }
    async fn tag(
        &self,
        scope: &Scope,
        arn: &str,
        add: BTreeMap<String, String>,
        remove: Vec<String>,
        max: usize,
    ) -> StoreResult<BTreeMap<String, String>> {
        self.inner.tag(scope, arn, add, remove, max).await
    }
    async fn find_unique(&self, kind: ResourceType, unique: &str) -> StoreResult<Option<Record>> {
        self.inner.find_unique(kind, unique).await
    }
    async fn revoke_viewer(
        &self,
        scope: &Scope,
        channel_arn: &str,
        viewer_id: &str,
        max_version: i64,
        at_ms: i64,
    ) -> StoreResult<()> {
        self.inner.revoke_viewer(scope, channel_arn, viewer_id, max_version, at_ms).await
    }
    async fn viewer_revocation(&self, channel_arn: &str, viewer_id: &str) -> StoreResult<Option<i64>> {
        self.inner.viewer_revocation(channel_arn, viewer_id).await
    }
    async fn use_single_use_token(
        &self,
        channel_arn: &str,
        id: &str,
        exp: u64,
        now: u64,
    ) -> StoreResult<bool> {
        self.inner.use_single_use_token(channel_arn, id, exp, now).await
    }
    async fn put_key(&self, key: ApiKey) -> StoreResult<()> {
        self.inner.put_key(key).await
    }
    async fn get_key(&self, access_key_id: &str) -> StoreResult<Option<ApiKey>> {
        self.inner.get_key(access_key_id).await
    }
    async fn list_keys(&self) -> StoreResult<Vec<ApiKey>> {
        self.inner.list_keys().await
    }
    async fn delete_key(&self, access_key_id: &str) -> StoreResult<bool> {
        self.inner.delete_key(access_key_id).await
    }
    async fn put_stream_session(&self, session: StreamSessionRecord) -> StoreResult<()> {
        self.inner.put_stream_session(session).await
    }
    async fn get_stream_session(
        &self,
        channel_arn: &str,
        stream_id: Option<&str>,
    ) -> StoreResult<Option<StreamSessionRecord>> {
        self.inner.get_stream_session(channel_arn, stream_id).await
    }
    async fn list_stream_sessions(
        &self,
        channel_arn: &str,
        before_seq: i64,
        limit: usize,
    ) -> StoreResult<Vec<StreamSessionRecord>> {
        self.inner.list_stream_sessions(channel_arn, before_seq, limit).await
    }
    async fn open_stream_sessions(&self) -> StoreResult<Vec<StreamSessionRecord>> {
        self.inner.open_stream_sessions().await
    }
    async fn meta_get_or_init(&self, key: &str, default: &str) -> StoreResult<String> {
        self.inner.meta_get_or_init(key, default).await
    }
}

struct Env {
    store: Arc<Gated>,
    svc: Arc<Service>,
    registry: Arc<Registry>,
    ingest: Arc<Ingest>,
    ctx: Ctx,
    arn: String,
    key: String,
    _dir: tempfile::TempDir,
}

async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let inner: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("db")).unwrap());
    let store = Arc::new(Gated { inner, on_get: Mutex::new(None), on_delete: Mutex::new(None) });
    let registry = Arc::new(Registry::default());
    let urls = Urls {
        ingest_endpoint: "127.0.0.1:4443".into(),
        playback_base: "http://127.0.0.1:8080".into(),
        srt_endpoint: "127.0.0.1".into(),
    };
    let svc = Arc::new(Service::new(store.clone(), urls, registry.clone(), [1; 32], false));
    let ingest = Arc::new(Ingest::new(store.clone(), svc.clone(), registry.clone()));
    let ctx = Ctx { scope: Scope { account: "123456789012".into(), region: "us-west-2".into() } };
    let created = svc.create_channel(&ctx, CreateChannelRequest::default()).await.unwrap();
    let arn = created.channel.unwrap().arn.unwrap();
    let key = created.stream_key.unwrap().value.unwrap();
    Env { store, svc, registry, ingest, ctx, arn, key, _dir: dir }
}

fn publish(key: &str) -> PublishRequest {
    PublishRequest {
        app: "app".into(),
        stream_key: key.into(),
        secure: true,
        peer: None,
        protocol: openivs_media::ingest::Protocol::Rtmp,
    }
}

fn delete(arn: &str) -> DeleteChannelRequest {
    DeleteChannelRequest { arn: Some(arn.into()) }
}

#[tokio::test]
async fn a_channel_deleted_while_its_encoder_is_authorized_does_not_go_live() {
    let e = env().await;
    // Ingest has read the channel; DeleteChannel runs before it registers the stream.
    let (reached, release) = arm(&e.store.on_get, &e.arn);
    let ingest = e.ingest.clone();
    let key = e.key.clone();
    let authorizing = tokio::spawn(async move { ingest.authorize(publish(&key)).await });
    reached.await.unwrap();
    e.svc.delete_channel(&e.ctx, delete(&e.arn)).await.expect("not live yet: deleted");
    release.send(()).unwrap();
    let result = authorizing.await.unwrap();
    assert!(matches!(result, Err(Refusal::BadKey)), "refused, not live");
    assert!(e.registry.entry(&e.arn).is_none(), "nothing live on the deleted channel");
}

#[tokio::test]
async fn a_stream_that_goes_live_during_the_delete_is_stopped() {
    let e = env().await;
    // DeleteChannel has found the channel not live; the encoder goes live before the delete lands.
    let (reached, release) = arm(&e.store.on_delete, &e.arn);
    let (svc, ctx, arn) = (e.svc.clone(), e.ctx.clone(), e.arn.clone());
    let deleting = tokio::spawn(async move { svc.delete_channel(&ctx, delete(&arn)).await });
    reached.await.unwrap();
    let authorized = e.ingest.authorize(publish(&e.key)).await.unwrap_or_else(|r| panic!("refused: {r}"));
    assert!(e.registry.entry(&e.arn).is_some(), "live for now");
    release.send(()).unwrap();
    deleting.await.unwrap().expect("deleted");
    assert!(e.registry.entry(&e.arn).is_none(), "nothing live on the deleted channel");
    assert!(*authorized.stop.borrow(), "the encoder is told to stop");
    assert!(e.store.get(&e.ctx.scope, &e.arn).await.unwrap().is_none());
}

#[tokio::test]
async fn without_a_race_a_live_channel_is_still_refused() {
    let e = env().await;
    let _authorized = e.ingest.authorize(publish(&e.key)).await.unwrap_or_else(|r| panic!("refused: {r}"));
    let err = e.svc.delete_channel(&e.ctx, delete(&e.arn)).await.unwrap_err();
    assert!(matches!(err, crate::control::DomainError::Conflict(_)), "{err:?}");
    assert!(e.registry.entry(&e.arn).is_some());
}
