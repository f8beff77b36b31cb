-- Version 2: one index instead of two for unique values (a stream key's secret, a key pair's
-- fingerprint). With the value leading, the same index enforces uniqueness per kind and scope and
-- serves ingest's lookup of a stream key by value; every write maintains one index fewer.
DROP INDEX resources_uniq;
DROP INDEX resources_uniq_lookup;
CREATE UNIQUE INDEX resources_uniq ON resources (kind, uniq, account, region) WHERE uniq IS NOT NULL;
