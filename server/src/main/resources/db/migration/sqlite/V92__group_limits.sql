-- Limits may also be set on a group of users: its members' calls count together against them.
-- SQLite cannot change a CHECK constraint in place: the table is made again with the new one.
CREATE TABLE limits_new (
    organization_id      TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    subject_kind         TEXT    NOT NULL CHECK (subject_kind IN ('organization', 'group', 'user', 'key')),
    subject_id           TEXT    NOT NULL,
    requests_per_minute  INTEGER,
    tokens_per_minute    INTEGER,
    tokens_per_day       INTEGER,
    tokens_per_month     INTEGER,
    soft_percent         INTEGER  NOT NULL,
    updated_at           INTEGER  NOT NULL,
    PRIMARY KEY (organization_id, subject_kind, subject_id)
);
INSERT INTO limits_new SELECT organization_id, subject_kind, subject_id, requests_per_minute, tokens_per_minute,
    tokens_per_day, tokens_per_month, soft_percent, updated_at FROM limits;
DROP TABLE limits;
ALTER TABLE limits_new RENAME TO limits;
