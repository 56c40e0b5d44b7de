-- Signed checkpoints of the audit log: how many entries it held, the hash of the last one and
-- when, signed with the Ed25519 key under the data directory. Each is also appended to the sinks
-- outside the database, where whoever can rewrite this table cannot reach.
CREATE TABLE audit_checkpoints (
    entry_count  INTEGER NOT NULL,
    head_hash    TEXT    NOT NULL,
    at           INTEGER NOT NULL,
    key_id       TEXT    NOT NULL,
    signature    TEXT    NOT NULL,
    PRIMARY KEY (at, entry_count)
);
