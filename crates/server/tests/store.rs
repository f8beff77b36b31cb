//! The storage suite: one set of checks for the `Store` interface, run against every engine (SQLite
//! here, always; PostgreSQL joins when its engine lands).

use openivs_model::arn::{Arn, ResourceType};
use openivs_server::store::*;
use std::collections::BTreeMap;
use std::sync::Arc;

fn scope(account: &str) -> Scope {
    Scope { account: account.into(), region: "us-west-2".into() }
}

fn rec(s: &Scope, kind: ResourceType, id: &str) -> NewRecord {
    NewRecord {
        arn: Arn::new(&s.region, &s.account, kind, id).to_string(),
        kind,
        scope: s.clone(),
        id: id.into(),
        name: format!("n-{id}"),
        parent: None,
        unique: None,
        refs: vec![],
        doc: "{}".into(),
        tags: BTreeMap::new(),
        created_ms: 1,
    }
}

async fn insert(store: &dyn Store, r: NewRecord) -> Record {
    store.insert(vec![r], None).await.expect("insert").remove(0)
}

async fn records_are_scoped_and_ordered(store: &dyn Store) {
    let (a, b) = (scope("111111111111"), scope("222222222222"));
    let first = insert(store, rec(&a, ResourceType::Channel, "one")).await;
    let second = insert(store, rec(&a, ResourceType::Channel, "two")).await;
    insert(store, rec(&b, ResourceType::Channel, "three")).await;
    assert!(second.seq > first.seq);
    assert_eq!(store.get(&a, &first.arn).await.unwrap().unwrap().name, "n-one");
    assert!(store.get(&b, &first.arn).await.unwrap().is_none(), "another account does not see it");
    let list = store.list(&a, ResourceType::Channel, &Filter::All, 0, 10).await.unwrap();
    assert_eq!(list.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["one", "two"]);
    let after = store.list(&a, ResourceType::Channel, &Filter::All, first.seq, 10).await.unwrap();
    assert_eq!(after.len(), 1);
    let by_name = store.list(&a, ResourceType::Channel, &Filter::Name("n-two".into()), 0, 10).await.unwrap();
    assert_eq!(by_name.len(), 1);
    let many = store.get_many(&a, &[first.arn.clone(), "arn:aws:ivs:x:1:channel/none".into()]).await.unwrap();
    assert_eq!(many.len(), 1);
    assert!(matches!(
        store.insert(vec![rec(&a, ResourceType::Channel, "one")], None).await,
        Err(StoreError::Duplicate(_))
    ));
}

async fn references_parents_quotas_and_uniques(store: &dyn Store) {
    let s = scope("333333333333");
    let target = insert(store, rec(&s, ResourceType::RecordingConfiguration, "rc")).await;
    let mut user = rec(&s, ResourceType::Channel, "user");
    user.refs = vec![target.arn.clone()];
    let user = insert(store, user).await;
    let refs =
        store.list(&s, ResourceType::Channel, &Filter::Refers(target.arn.clone()), 0, 10).await.unwrap();
    assert_eq!(refs.len(), 1);
    assert!(
        matches!(store.delete(&s, &target.arn).await, Err(StoreError::Referenced(by)) if by == [user.arn.clone()])
    );
    // A reference to something missing is refused, and nothing is stored.
    let mut dangling = rec(&s, ResourceType::Channel, "dangling");
    dangling.refs = vec!["arn:aws:ivs:us-west-2:333333333333:recording-configuration/none".into()];
    assert!(matches!(store.insert(vec![dangling.clone()], None).await, Err(StoreError::NotFound(_))));
    assert!(store.get(&s, &dangling.arn).await.unwrap().is_none());
    // One child per parent; children go with their parent.
    let mut key = rec(&s, ResourceType::StreamKey, "k1");
    key.parent = Some(user.arn.clone());
    key.unique = Some("secret-1".into());
    insert(store, key.clone()).await;
    let mut key2 = rec(&s, ResourceType::StreamKey, "k2");
    key2.parent = Some(user.arn.clone());
    assert!(matches!(
        store.insert(vec![key2], Some(Quota::PerParent(1))).await,
        Err(StoreError::QuotaExceeded(1))
    ));
    assert_eq!(store.find_unique(ResourceType::StreamKey, "secret-1").await.unwrap().unwrap().arn, key.arn);
    let mut dup = rec(&s, ResourceType::StreamKey, "k3");
    dup.unique = Some("secret-1".into());
    assert!(matches!(store.insert(vec![dup], None).await, Err(StoreError::Duplicate(_))));
    let update = Update { refs: Some(vec![]), ..Default::default() };
    store.update(&s, &user.arn, update).await.unwrap();
    store.delete(&s, &target.arn).await.unwrap();
    store.delete(&s, &user.arn).await.unwrap();
    assert!(store.get(&s, &key.arn).await.unwrap().is_none(), "the stream key went with its channel");
    assert!(store.find_unique(ResourceType::StreamKey, "secret-1").await.unwrap().is_none());
}

async fn concurrent_inserts_respect_the_quota(store: Arc<dyn Store>) {
    let s = scope("444444444444");
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let (store, s) = (store.clone(), s.clone());
            tokio::spawn(async move {
                store
                    .insert(
                        vec![rec(&s, ResourceType::PlaybackKeyPair, &format!("kp{i}"))],
                        Some(Quota::PerScope(3)),
                    )
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::QuotaExceeded(3)) => {}
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(ok, 3);
    assert_eq!(store.list(&s, ResourceType::PlaybackKeyPair, &Filter::All, 0, 100).await.unwrap().len(), 3);
    // At the quota, a duplicate is reported as a duplicate, not as over quota.
    let mut first = rec(&s, ResourceType::PlaybackKeyPair, "again");
    first.unique = Some("fp".into());
    let mut other = store.list(&s, ResourceType::PlaybackKeyPair, &Filter::All, 0, 1).await.unwrap();
    let existing = other.remove(0);
    store.delete(&s, &existing.arn).await.unwrap();
    store.insert(vec![first.clone()], Some(Quota::PerScope(3))).await.unwrap();
    first.arn.push('2');
    assert!(matches!(
        store.insert(vec![first], Some(Quota::PerScope(3))).await,
        Err(StoreError::Duplicate(_))
    ));
}

async fn tags_keys_revocations_and_meta(store: &dyn Store) {
    let s = scope("555555555555");
    let r = insert(store, rec(&s, ResourceType::Channel, "tagged")).await;
    let add = |n: usize| (0..n).map(|i| (format!("k{i}"), "v".to_string())).collect::<BTreeMap<_, _>>();
    assert_eq!(store.tag(&s, &r.arn, add(50), vec![], 50).await.unwrap().len(), 50);
    let more = BTreeMap::from([("extra".to_string(), "v".to_string())]);
    assert!(matches!(
        store.tag(&s, &r.arn, more.clone(), vec![], 50).await,
        Err(StoreError::TooManyTags(51))
    ));
    assert_eq!(
        store.get(&s, &r.arn).await.unwrap().unwrap().tags.len(),
        50,
        "a refused tag call changes nothing"
    );
    let tags = store.tag(&s, &r.arn, more, vec!["k0".into()], 50).await.unwrap();
    assert!(tags.contains_key("extra") && !tags.contains_key("k0"));

    store.revoke_viewer(&s, &r.arn, "viewer", 3, 1).await.unwrap();
    store.revoke_viewer(&s, &r.arn, "viewer", 1, 2).await.unwrap();
    assert_eq!(
        store.viewer_revocation(&r.arn, "viewer").await.unwrap(),
        Some(3),
        "a revocation never narrows"
    );
    assert!(matches!(
        store.revoke_viewer(&s, "arn:aws:ivs:us-west-2:555555555555:channel/none", "v", 0, 1).await,
        Err(StoreError::NotFound(_))
    ));

    let key = ApiKey {
        access_key_id: "OIVSKEY".into(),
        secret_access_key: "s".into(),
        account: s.account.clone(),
        allow: vec!["ivs:List*".into()],
        created_ms: 1,
    };
    store.put_key(key.clone()).await.unwrap();
    assert!(matches!(store.put_key(key.clone()).await, Err(StoreError::Duplicate(_))));
    assert_eq!(store.get_key("OIVSKEY").await.unwrap(), Some(key));
    assert!(store.delete_key("OIVSKEY").await.unwrap());
    assert!(!store.delete_key("OIVSKEY").await.unwrap());

    assert_eq!(store.meta_get_or_init("m", "first").await.unwrap(), "first");
    assert_eq!(store.meta_get_or_init("m", "second").await.unwrap(), "first");
}

async fn stream_sessions_newest_first_and_updated_in_place(store: &dyn Store) {
    let s = scope("666666666666");
    let channel = "arn:aws:ivs:us-west-2:666666666666:channel/live";
    let session = |id: &str, start: i64| StreamSessionRecord {
        seq: 0,
        stream_id: id.into(),
        channel_arn: channel.into(),
        scope: s.clone(),
        start_ms: start,
        end_ms: None,
        has_error: false,
        doc: format!("{{\"streamId\":\"{id}\"}}"),
    };
    for (i, id) in ["st-1", "st-2", "st-3"].iter().enumerate() {
        store.put_stream_session(session(id, i as i64)).await.unwrap();
    }
    let open = store.open_stream_sessions().await.unwrap();
    assert_eq!(open.iter().map(|r| r.stream_id.as_str()).collect::<Vec<_>>(), ["st-1", "st-2", "st-3"]);
    let mut ended = session("st-1", 0);
    ended.end_ms = Some(99);
    ended.has_error = true;
    ended.doc = "{\"streamId\":\"st-1\",\"endTime\":\"x\"}".into();
    store.put_stream_session(ended.clone()).await.unwrap();
    let got = store.get_stream_session(channel, Some("st-1")).await.unwrap().unwrap();
    assert_eq!((got.end_ms, got.has_error, got.doc.as_str()), (Some(99), true, ended.doc.as_str()));
    assert_eq!(store.open_stream_sessions().await.unwrap().len(), 2);
    let latest = store.get_stream_session(channel, None).await.unwrap().unwrap();
    assert_eq!(latest.stream_id, "st-3", "the latest by order, not by update");
    let page = store.list_stream_sessions(channel, i64::MAX, 2).await.unwrap();
    assert_eq!(page.iter().map(|r| r.stream_id.as_str()).collect::<Vec<_>>(), ["st-3", "st-2"]);
    let rest = store.list_stream_sessions(channel, page[1].seq, 2).await.unwrap();
    assert_eq!(rest.iter().map(|r| r.stream_id.as_str()).collect::<Vec<_>>(), ["st-1"]);
    assert!(store.get_stream_session("arn:aws:ivs:us-west-2:1:channel/other", None).await.unwrap().is_none());
    assert!(store.get_stream_session(channel, Some("st-9")).await.unwrap().is_none());
}

const CH: &str = "arn:aws:ivs:us-west-2:555555555555:channel/tagged";

async fn single_use_tokens(store: &dyn Store) {
    assert!(store.use_single_use_token(CH, "u-1", 1_000, 500).await.unwrap(), "first use");
    assert!(!store.use_single_use_token(CH, "u-1", 1_000, 600).await.unwrap(), "second use");
    assert!(
        store.use_single_use_token("arn:aws:ivs:us-west-2:1:channel/other", "u-1", 1_000, 600).await.unwrap()
    );
    // Once its token expired, the id is forgotten: a new token with the same id is a new token.
    assert!(store.use_single_use_token(CH, "u-1", 2_000, 1_000).await.unwrap());
    assert!(store.use_single_use_token(CH, "u-2", 3_000, 1_000).await.unwrap(), "kept across reopening");
}

async fn suite(store: Arc<dyn Store>) {
    records_are_scoped_and_ordered(store.as_ref()).await;
    references_parents_quotas_and_uniques(store.as_ref()).await;
    concurrent_inserts_respect_the_quota(store.clone()).await;
    tags_keys_revocations_and_meta(store.as_ref()).await;
    stream_sessions_newest_first_and_updated_in_place(store.as_ref()).await;
    single_use_tokens(store.as_ref()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_engine() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("openivs.db")).unwrap();
    suite(Arc::new(store)).await;
    // Reopening applies no migration twice and keeps the data.
    let again = SqliteStore::open(&dir.path().join("openivs.db")).unwrap();
    assert_eq!(again.meta_get_or_init("m", "other").await.unwrap(), "first");
    assert!(
        !again.use_single_use_token(CH, "u-2", 3_000, 1_001).await.unwrap(),
        "a used id survives a restart"
    );
}
