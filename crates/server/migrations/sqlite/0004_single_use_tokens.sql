-- Version 4: the single-use playback token ids (`aws:single-use-uuid`) used per channel, until their
-- token's `exp` (unix seconds), so that a restart does not make a used token usable again.
CREATE TABLE used_playback_tokens (
    channel_arn TEXT NOT NULL,
    token_id    TEXT NOT NULL,
    exp         INTEGER NOT NULL,
    PRIMARY KEY (channel_arn, token_id)
) WITHOUT ROWID;
CREATE INDEX used_playback_tokens_exp ON used_playback_tokens (exp);
