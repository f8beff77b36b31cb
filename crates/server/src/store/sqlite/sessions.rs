//! Stream sessions in SQLite (migration 0003): one row per stream, upserted by ingest as the stream
//! goes on, read newest first.

use super::{backend, params};
use crate::store::{Scope, StoreResult, StreamSessionRecord};
use rusqlite::{Connection, OptionalExtension, Row};

const COLUMNS: &str = "seq, stream_id, channel_arn, account, region, start_ms, end_ms, has_error, doc";

fn session(row: &Row) -> rusqlite::Result<StreamSessionRecord> {
    Ok(StreamSessionRecord {
        seq: row.get(0)?,
        stream_id: row.get(1)?,
        channel_arn: row.get(2)?,
        scope: Scope { account: row.get(3)?, region: row.get(4)? },
        start_ms: row.get(5)?,
        end_ms: row.get(6)?,
        has_error: row.get(7)?,
        doc: row.get(8)?,
    })
}

/// Inserts the session, or replaces its end, error flag and document (its place in the order stays).
pub(super) fn put(tx: &rusqlite::Transaction, s: &StreamSessionRecord) -> StoreResult<()> {
    tx.prepare_cached(
        "INSERT INTO stream_sessions (stream_id, channel_arn, account, region, start_ms, end_ms, has_error, doc) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (stream_id) DO UPDATE SET \
         end_ms = excluded.end_ms, has_error = excluded.has_error, doc = excluded.doc",
    )
    .map_err(backend)?
    .execute(params![
        s.stream_id,
        s.channel_arn,
        s.scope.account,
        s.scope.region,
        s.start_ms,
        s.end_ms,
        s.has_error,
        s.doc
    ])
    .map_err(backend)?;
    Ok(())
}

/// The session with this id on the channel, or the channel's latest when `stream_id` is `None`.
pub(super) fn get(
    c: &Connection,
    channel: &str,
    stream_id: Option<&str>,
) -> StoreResult<Option<StreamSessionRecord>> {
    let row = match stream_id {
        Some(id) => c
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM stream_sessions WHERE channel_arn = ?1 AND stream_id = ?2"
            ))
            .map_err(backend)?
            .query_row(params![channel, id], session)
            .optional(),
        None => c
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM stream_sessions WHERE channel_arn = ?1 ORDER BY seq DESC LIMIT 1"
            ))
            .map_err(backend)?
            .query_row(params![channel], session)
            .optional(),
    };
    row.map_err(backend)
}

/// Up to `limit` sessions of the channel older than `before_seq`, newest first.
pub(super) fn list(
    c: &Connection,
    channel: &str,
    before_seq: i64,
    limit: usize,
) -> StoreResult<Vec<StreamSessionRecord>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM stream_sessions WHERE channel_arn = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3"
    ))
    .map_err(backend)?
    .query_map(params![channel, before_seq, limit], session)
    .map_err(backend)?
    .collect::<Result<_, _>>()
    .map_err(backend)
}

/// Sessions that never ended (the server stopped while they were live).
pub(super) fn open(c: &Connection) -> StoreResult<Vec<StreamSessionRecord>> {
    c.prepare_cached(&format!("SELECT {COLUMNS} FROM stream_sessions WHERE end_ms IS NULL ORDER BY seq"))
        .map_err(backend)?
        .query_map([], session)
        .map_err(backend)?
        .collect::<Result<_, _>>()
        .map_err(backend)
}
