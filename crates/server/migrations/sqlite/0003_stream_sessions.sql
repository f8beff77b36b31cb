-- Version 3: stream sessions, written by ingest while a channel is live and kept after it ends.
-- `doc` is the session as GetStreamSession returns it (channel and recording configuration as they
-- were, ingest configuration, truncated events); `seq` orders a channel's sessions, newest last.
CREATE TABLE stream_sessions (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id   TEXT NOT NULL UNIQUE,
    channel_arn TEXT NOT NULL,
    account     TEXT NOT NULL,
    region      TEXT NOT NULL,
    start_ms    INTEGER NOT NULL,
    end_ms      INTEGER,
    has_error   INTEGER NOT NULL,
    doc         TEXT NOT NULL
);
CREATE INDEX stream_sessions_channel ON stream_sessions (channel_arn, seq);
CREATE INDEX stream_sessions_open ON stream_sessions (seq) WHERE end_ms IS NULL;
