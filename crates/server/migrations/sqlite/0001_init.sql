-- openivs schema, version 1: resources with tags, references, viewer revocations, API keys, metadata.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE resources (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    arn        TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    account    TEXT NOT NULL,
    region     TEXT NOT NULL,
    id         TEXT NOT NULL,
    name       TEXT NOT NULL,
    parent     TEXT,
    uniq       TEXT,
    refs       TEXT NOT NULL,
    doc        TEXT NOT NULL,
    tags       TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX resources_scope ON resources (account, region, kind, seq);
CREATE INDEX resources_name ON resources (account, region, kind, name, seq);
CREATE INDEX resources_parent ON resources (parent, seq) WHERE parent IS NOT NULL;
CREATE UNIQUE INDEX resources_uniq ON resources (kind, account, region, uniq) WHERE uniq IS NOT NULL;
CREATE INDEX resources_uniq_lookup ON resources (kind, uniq) WHERE uniq IS NOT NULL;

CREATE TABLE refs (
    from_arn TEXT NOT NULL,
    to_arn   TEXT NOT NULL,
    PRIMARY KEY (from_arn, to_arn)
);
CREATE INDEX refs_to ON refs (to_arn);

CREATE TABLE revocations (
    channel_arn TEXT NOT NULL,
    viewer_id   TEXT NOT NULL,
    account     TEXT NOT NULL,
    region      TEXT NOT NULL,
    max_version INTEGER NOT NULL,
    at_ms       INTEGER NOT NULL,
    PRIMARY KEY (channel_arn, viewer_id)
);

CREATE TABLE api_keys (
    access_key_id TEXT PRIMARY KEY,
    secret        TEXT NOT NULL,
    account       TEXT NOT NULL,
    allow         TEXT NOT NULL,
    created_ms    INTEGER NOT NULL
);
