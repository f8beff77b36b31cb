//! The embedded SQLite engine (rusqlite, bundled SQLite) behind [`Store`].
//!
//! One writer thread owns the write connection and commits queued writes in batches (`writer`), each
//! write in its own savepoint of a `BEGIN IMMEDIATE` transaction, which makes quota checks and unique
//! checks atomic; a few reader connections serve reads concurrently thanks to WAL. `synchronous=NORMAL` in WAL mode means a committed write is in the WAL file before
//! the call returns, so it survives the process being killed (an OS crash may lose the last commits).
//! rusqlite is synchronous, so reads run on tokio's blocking pool and writes on the writer thread.

mod sessions;
mod writer;

use super::*;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use std::path::Path;
use std::sync::{Arc, Mutex};

const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/sqlite/0001_init.sql"),
    include_str!("../../../migrations/sqlite/0002_one_unique_index.sql"),
    include_str!("../../../migrations/sqlite/0003_stream_sessions.sql"),
    include_str!("../../../migrations/sqlite/0004_single_use_tokens.sql"),
];
const READERS: usize = 4;

/// SQLite-backed store in one database file.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    writer: writer::Writer,
    readers: Mutex<Vec<Connection>>,
    /// One permit per pooled reader: reads wait for a connection instead of opening new ones, which
    /// costs far more (open, pragmas, schema parse) than the wait.
    read_permits: tokio::sync::Semaphore,
    path: std::path::PathBuf,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn open_conn(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open(path).map_err(backend)?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; \
         PRAGMA mmap_size=1073741824; PRAGMA cache_size=-16384; PRAGMA temp_store=MEMORY;",
    )
    .map_err(backend)?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let mut writer = open_conn(path)?;
        migrate(&mut writer)?;
        let readers = (0..READERS).map(|_| open_conn(path)).collect::<StoreResult<Vec<_>>>()?;
        Ok(Self {
            inner: Arc::new(Inner {
                writer: writer::Writer::start(writer, path)?,
                readers: Mutex::new(readers),
                read_permits: tokio::sync::Semaphore::new(READERS),
                path: path.into(),
            }),
        })
    }

    /// Copies the WAL into the database and truncates it to nothing, once the writes queued before
    /// have committed; for a clean stop, so that no WAL is left beside the database.
    pub async fn checkpoint_at_shutdown(&self) -> StoreResult<()> {
        self.inner.writer.checkpoint_truncate().await
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let _permit = self.inner.read_permits.acquire().await.map_err(backend)?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let conn = inner.readers.lock().map_err(backend)?.pop();
            let conn = match conn {
                Some(c) => c,
                // Only after a reader was lost to a panic; the pool heals itself.
                None => open_conn(&inner.path)?,
            };
            let out = f(&conn);
            if let Ok(mut pool) = inner.readers.lock() {
                pool.push(conn);
            }
            out
        })
        .await
        .map_err(backend)?
    }

    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        self.inner.writer.write(f).await
    }
}

fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(backend)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive).map_err(backend)?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
        tx.execute_batch(sql).map_err(backend)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1)).map_err(backend)?;
    }
    tx.commit().map_err(backend)
}

const COLUMNS: &str = "seq, arn, kind, account, region, id, name, parent, uniq, refs, doc, tags, created_ms";

fn record(row: &Row) -> rusqlite::Result<Record> {
    let kind: String = row.get(2)?;
    let refs: String = row.get(9)?;
    let tags: String = row.get(11)?;
    let bad = |e: &dyn std::fmt::Display| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.to_string().into())
    };
    Ok(Record {
        seq: row.get(0)?,
        arn: row.get(1)?,
        kind: ResourceType::from_arn_type(&kind).ok_or_else(|| bad(&format!("unknown kind {kind}")))?,
        scope: Scope { account: row.get(3)?, region: row.get(4)? },
        id: row.get(5)?,
        name: row.get(6)?,
        parent: row.get(7)?,
        unique: row.get(8)?,
        refs: serde_json::from_str(&refs).map_err(|e| bad(&e))?,
        doc: row.get(10)?,
        tags: serde_json::from_str(&tags).map_err(|e| bad(&e))?,
        created_ms: row.get(12)?,
    })
}

fn get_in(conn: &Connection, scope: &Scope, arn: &str) -> StoreResult<Option<Record>> {
    let sql = format!("SELECT {COLUMNS} FROM resources WHERE arn = ?1 AND account = ?2 AND region = ?3");
    let mut st = conn.prepare_cached(&sql).map_err(backend)?;
    st.query_row(params![arn, scope.account, scope.region], record).optional().map_err(backend)
}

/// A unique value (stream key secret, key-pair fingerprint) may appear once per kind and scope.
fn check_unique(tx: &rusqlite::Transaction, r: &NewRecord) -> StoreResult<()> {
    let Some(u) = &r.unique else { return Ok(()) };
    let dup: Option<i64> = tx
        .prepare_cached(
            "SELECT seq FROM resources WHERE kind = ?1 AND uniq = ?4 AND account = ?2 AND region = ?3",
        )
        .map_err(backend)?
        .query_row(params![r.kind.as_str(), r.scope.account, r.scope.region, u], |row| row.get(0))
        .optional()
        .map_err(backend)?;
    if dup.is_some() { Err(StoreError::Duplicate(u.clone())) } else { Ok(()) }
}

fn insert_one(tx: &rusqlite::Transaction, r: &NewRecord) -> StoreResult<Record> {
    if let Some(parent) = &r.parent
        && get_in(tx, &r.scope, parent)?.is_none()
    {
        return Err(StoreError::NotFound(parent.clone()));
    }
    for target in &r.refs {
        if get_in(tx, &r.scope, target)?.is_none() {
            return Err(StoreError::NotFound(target.clone()));
        }
    }
    check_unique(tx, r)?;
    let refs = serde_json::to_string(&r.refs).map_err(backend)?;
    let tags = serde_json::to_string(&r.tags).map_err(backend)?;
    tx.prepare_cached(
        "INSERT INTO resources (arn, kind, account, region, id, name, parent, uniq, refs, doc, tags, created_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )
    .map_err(backend)?
    .execute(params![
        r.arn, r.kind.as_str(), r.scope.account, r.scope.region, r.id, r.name, r.parent, r.unique, refs, r.doc, tags,
        r.created_ms
    ])
    .map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
            StoreError::Duplicate(r.arn.clone())
        }
        e => backend(e),
    })?;
    add_refs(tx, &r.arn, &r.refs)?;
    // The row is exactly what was given, plus its sequence number: no need to read it back.
    Ok(Record {
        seq: tx.last_insert_rowid(),
        arn: r.arn.clone(),
        kind: r.kind,
        scope: r.scope.clone(),
        id: r.id.clone(),
        name: r.name.clone(),
        parent: r.parent.clone(),
        unique: r.unique.clone(),
        refs: r.refs.clone(),
        doc: r.doc.clone(),
        tags: r.tags.clone(),
        created_ms: r.created_ms,
    })
}

fn set_refs(tx: &rusqlite::Transaction, from: &str, refs: &[String]) -> StoreResult<()> {
    tx.prepare_cached("DELETE FROM refs WHERE from_arn = ?1")
        .map_err(backend)?
        .execute([from])
        .map_err(backend)?;
    add_refs(tx, from, refs)
}

fn add_refs(tx: &rusqlite::Transaction, from: &str, refs: &[String]) -> StoreResult<()> {
    if refs.is_empty() {
        return Ok(());
    }
    let mut st = tx
        .prepare_cached("INSERT OR IGNORE INTO refs (from_arn, to_arn) VALUES (?1, ?2)")
        .map_err(backend)?;
    for to in refs {
        st.execute([from, to]).map_err(backend)?;
    }
    Ok(())
}

fn check_quota(tx: &rusqlite::Transaction, r: &NewRecord, quota: Quota) -> StoreResult<()> {
    let (count, max): (i64, usize) = match quota {
        Quota::PerScope(max) => (
            tx.query_row(
                "SELECT COUNT(*) FROM resources WHERE account = ?1 AND region = ?2 AND kind = ?3",
                params![r.scope.account, r.scope.region, r.kind.as_str()],
                |row| row.get(0),
            )
            .map_err(backend)?,
            max,
        ),
        Quota::PerParent(max) => (
            tx.query_row(
                "SELECT COUNT(*) FROM resources WHERE parent = ?1 AND kind = ?2",
                params![r.parent, r.kind.as_str()],
                |row| row.get(0),
            )
            .map_err(backend)?,
            max,
        ),
    };
    if usize::try_from(count).unwrap_or(usize::MAX) >= max {
        Err(StoreError::QuotaExceeded(max))
    } else {
        Ok(())
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn insert(&self, records: Vec<NewRecord>, quota: Option<Quota>) -> StoreResult<Vec<Record>> {
        self.write(move |tx| {
            if let (Some(q), Some(first)) = (quota, records.first()) {
                if let Some(parent) = &first.parent
                    && get_in(tx, &first.scope, parent)?.is_none()
                {
                    return Err(StoreError::NotFound(parent.clone()));
                }
                // A duplicate is the more specific answer: re-importing a key at the quota is a conflict.
                check_unique(tx, first)?;
                check_quota(tx, first, q)?;
            }
            records.iter().map(|r| insert_one(tx, r)).collect()
        })
        .await
    }

    async fn get(&self, scope: &Scope, arn: &str) -> StoreResult<Option<Record>> {
        let (scope, arn) = (scope.clone(), arn.to_owned());
        self.read(move |c| get_in(c, &scope, &arn)).await
    }

    async fn get_many(&self, scope: &Scope, arns: &[String]) -> StoreResult<Vec<Record>> {
        let (scope, arns) = (scope.clone(), arns.to_vec());
        self.read(move |c| {
            let mut out = Vec::new();
            for arn in &arns {
                if let Some(r) = get_in(c, &scope, arn)? {
                    out.push(r);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn list(
        &self,
        scope: &Scope,
        kind: ResourceType,
        filter: &Filter,
        after_seq: i64,
        limit: usize,
    ) -> StoreResult<Vec<Record>> {
        let (scope, filter) = (scope.clone(), filter.clone());
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            let base = format!("SELECT {COLUMNS} FROM resources WHERE account = ?1 AND region = ?2 AND kind = ?3 AND seq > ?4");
            let (sql, arg) = match &filter {
                Filter::All => (format!("{base} AND ?5 IS NULL ORDER BY seq LIMIT ?6"), None),
                Filter::Name(n) => (format!("{base} AND name = ?5 ORDER BY seq LIMIT ?6"), Some(n.clone())),
                Filter::Parent(p) => (format!("{base} AND parent = ?5 ORDER BY seq LIMIT ?6"), Some(p.clone())),
                Filter::Refers(t) => (
                    format!("{base} AND arn IN (SELECT from_arn FROM refs WHERE to_arn = ?5) ORDER BY seq LIMIT ?6"),
                    Some(t.clone()),
                ),
            };
            let mut st = c.prepare_cached(&sql).map_err(backend)?;
            let rows = st
                .query_map(params![scope.account, scope.region, kind.as_str(), after_seq, arg, limit], record)
                .map_err(backend)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend)
        })
        .await
    }

    async fn update(&self, scope: &Scope, arn: &str, update: Update) -> StoreResult<Record> {
        let (scope, arn) = (scope.clone(), arn.to_owned());
        self.write(move |tx| {
            let current = get_in(tx, &scope, &arn)?.ok_or_else(|| StoreError::NotFound(arn.clone()))?;
            if let Some(refs) = &update.refs {
                for target in refs {
                    if get_in(tx, &scope, target)?.is_none() {
                        return Err(StoreError::NotFound(target.clone()));
                    }
                }
                set_refs(tx, &arn, refs)?;
            }
            let refs =
                serde_json::to_string(update.refs.as_ref().unwrap_or(&current.refs)).map_err(backend)?;
            tx.prepare_cached("UPDATE resources SET name = ?2, doc = ?3, refs = ?4 WHERE arn = ?1")
                .map_err(backend)?
                .execute(params![
                    arn,
                    update.name.as_ref().unwrap_or(&current.name),
                    update.doc.as_ref().unwrap_or(&current.doc),
                    refs
                ])
                .map_err(backend)?;
            get_in(tx, &scope, &arn)?.ok_or_else(|| StoreError::NotFound(arn.clone()))
        })
        .await
    }

    async fn delete(&self, scope: &Scope, arn: &str) -> StoreResult<()> {
        let (scope, arn) = (scope.clone(), arn.to_owned());
        self.write(move |tx| {
            if get_in(tx, &scope, &arn)?.is_none() {
                return Err(StoreError::NotFound(arn));
            }
            let users: Vec<String> = tx
                .prepare_cached("SELECT from_arn FROM refs WHERE to_arn = ?1 ORDER BY from_arn")
                .map_err(backend)?
                .query_map([&arn], |r| r.get(0))
                .map_err(backend)?
                .collect::<Result<_, _>>()
                .map_err(backend)?;
            if !users.is_empty() {
                return Err(StoreError::Referenced(users));
            }
            for sql in [
                "DELETE FROM refs WHERE from_arn IN (SELECT arn FROM resources WHERE parent = ?1)",
                "DELETE FROM resources WHERE parent = ?1",
                "DELETE FROM refs WHERE from_arn = ?1",
                "DELETE FROM revocations WHERE channel_arn = ?1",
                "DELETE FROM resources WHERE arn = ?1",
            ] {
                tx.prepare_cached(sql).map_err(backend)?.execute([&arn]).map_err(backend)?;
            }
            Ok(())
        })
        .await
    }

    async fn tag(
        &self,
        scope: &Scope,
        arn: &str,
        add: BTreeMap<String, String>,
        remove: Vec<String>,
        max: usize,
    ) -> StoreResult<BTreeMap<String, String>> {
        let (scope, arn) = (scope.clone(), arn.to_owned());
        self.write(move |tx| {
            let mut tags = get_in(tx, &scope, &arn)?.ok_or_else(|| StoreError::NotFound(arn.clone()))?.tags;
            for k in &remove {
                tags.remove(k);
            }
            tags.extend(add);
            if tags.len() > max {
                return Err(StoreError::TooManyTags(tags.len()));
            }
            let json = serde_json::to_string(&tags).map_err(backend)?;
            tx.prepare_cached("UPDATE resources SET tags = ?2 WHERE arn = ?1")
                .map_err(backend)?
                .execute(params![arn, json])
                .map_err(backend)?;
            Ok(tags)
        })
        .await
    }

    async fn find_unique(&self, kind: ResourceType, unique: &str) -> StoreResult<Option<Record>> {
        let unique = unique.to_owned();
        self.read(move |c| {
            let sql = format!("SELECT {COLUMNS} FROM resources WHERE kind = ?1 AND uniq = ?2");
            let mut st = c.prepare_cached(&sql).map_err(backend)?;
            st.query_row(params![kind.as_str(), unique], record).optional().map_err(backend)
        })
        .await
    }

    async fn revoke_viewer(
        &self,
        scope: &Scope,
        channel_arn: &str,
        viewer_id: &str,
        max_version: i64,
        at_ms: i64,
    ) -> StoreResult<()> {
        let (scope, channel, viewer) = (scope.clone(), channel_arn.to_owned(), viewer_id.to_owned());
        self.write(move |tx| {
            if get_in(tx, &scope, &channel)?.is_none() {
                return Err(StoreError::NotFound(channel));
            }
            tx.prepare_cached(
                "INSERT INTO revocations (channel_arn, viewer_id, account, region, max_version, at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (channel_arn, viewer_id) DO UPDATE SET \
                 max_version = MAX(max_version, excluded.max_version), at_ms = excluded.at_ms",
            )
            .map_err(backend)?
            .execute(params![channel, viewer, scope.account, scope.region, max_version, at_ms])
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn viewer_revocation(&self, channel_arn: &str, viewer_id: &str) -> StoreResult<Option<i64>> {
        let (channel, viewer) = (channel_arn.to_owned(), viewer_id.to_owned());
        self.read(move |c| {
            c.prepare_cached("SELECT max_version FROM revocations WHERE channel_arn = ?1 AND viewer_id = ?2")
                .map_err(backend)?
                .query_row([channel, viewer], |r| r.get(0))
                .optional()
                .map_err(backend)
        })
        .await
    }

    async fn put_key(&self, key: ApiKey) -> StoreResult<()> {
        self.write(move |tx| {
            let allow = serde_json::to_string(&key.allow).map_err(backend)?;
            tx.execute(
                "INSERT INTO api_keys (access_key_id, secret, account, allow, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key.access_key_id, key.secret_access_key, key.account, allow, key.created_ms],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                    StoreError::Duplicate(key.access_key_id.clone())
                }
                e => backend(e),
            })?;
            Ok(())
        })
        .await
    }

    async fn get_key(&self, access_key_id: &str) -> StoreResult<Option<ApiKey>> {
        let id = access_key_id.to_owned();
        self.read(move |c| {
            c.prepare_cached("SELECT access_key_id, secret, account, allow, created_ms FROM api_keys WHERE access_key_id = ?1")
                .map_err(backend)?
                .query_row([id], api_key)
                .optional()
                .map_err(backend)
        })
        .await
    }

    async fn list_keys(&self) -> StoreResult<Vec<ApiKey>> {
        self.read(|c| {
            c.prepare_cached("SELECT access_key_id, secret, account, allow, created_ms FROM api_keys ORDER BY created_ms, access_key_id")
                .map_err(backend)?
                .query_map([], api_key)
                .map_err(backend)?
                .collect::<Result<_, _>>()
                .map_err(backend)
        })
        .await
    }

    async fn delete_key(&self, access_key_id: &str) -> StoreResult<bool> {
        let id = access_key_id.to_owned();
        self.write(move |tx| {
            Ok(tx.execute("DELETE FROM api_keys WHERE access_key_id = ?1", [id]).map_err(backend)? > 0)
        })
        .await
    }

    async fn put_stream_session(&self, session: StreamSessionRecord) -> StoreResult<()> {
        self.write(move |tx| sessions::put(tx, &session)).await
    }

    async fn get_stream_session(
        &self,
        channel_arn: &str,
        stream_id: Option<&str>,
    ) -> StoreResult<Option<StreamSessionRecord>> {
        let (channel, id) = (channel_arn.to_owned(), stream_id.map(str::to_owned));
        self.read(move |c| sessions::get(c, &channel, id.as_deref())).await
    }

    async fn list_stream_sessions(
        &self,
        channel_arn: &str,
        before_seq: i64,
        limit: usize,
    ) -> StoreResult<Vec<StreamSessionRecord>> {
        let channel = channel_arn.to_owned();
        self.read(move |c| sessions::list(c, &channel, before_seq, limit)).await
    }

    async fn open_stream_sessions(&self) -> StoreResult<Vec<StreamSessionRecord>> {
        self.read(sessions::open).await
    }

    async fn use_single_use_token(
        &self,
        channel_arn: &str,
        id: &str,
        exp: u64,
        now: u64,
    ) -> StoreResult<bool> {
        let (channel, id) = (channel_arn.to_owned(), id.to_owned());
        let (exp, now) = (i64::try_from(exp).unwrap_or(i64::MAX), i64::try_from(now).unwrap_or(i64::MAX));
        self.write(move |tx| {
            // Expired ids go first (by the index on exp), so an id whose token expired may be used again,
            // as a fresh token with the same id is a new token.
            tx.prepare_cached("DELETE FROM used_playback_tokens WHERE exp <= ?1")
                .map_err(backend)?
                .execute([now])
                .map_err(backend)?;
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO used_playback_tokens (channel_arn, token_id, exp) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (channel_arn, token_id) DO NOTHING",
                )
                .map_err(backend)?
                .execute(params![channel, id, exp])
                .map_err(backend)?;
            Ok(inserted == 1)
        })
        .await
    }

    async fn meta_get_or_init(&self, key: &str, default: &str) -> StoreResult<String> {
        let (key, default) = (key.to_owned(), default.to_owned());
        self.write(move |tx| {
            tx.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)", params![key, default])
                .map_err(backend)?;
            tx.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).map_err(backend)
        })
        .await
    }
}

fn api_key(row: &Row) -> rusqlite::Result<ApiKey> {
    let allow: String = row.get(3)?;
    Ok(ApiKey {
        access_key_id: row.get(0)?,
        secret_access_key: row.get(1)?,
        account: row.get(2)?,
        allow: serde_json::from_str(&allow).unwrap_or_default(),
        created_ms: row.get(4)?,
    })
}
