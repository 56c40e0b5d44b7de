-- The audit log: append-only, each entry chained to the one before by its hash.
CREATE TABLE audit_entries (
    seq              INTEGER PRIMARY KEY,
    at               INTEGER NOT NULL,
    organization_id  TEXT,
    actor            TEXT    NOT NULL,
    action           TEXT    NOT NULL,
    resource         TEXT,
    backend          TEXT,
    backend_location TEXT,
    client_ip        TEXT,
    outcome          TEXT    NOT NULL,
    previous_hash    TEXT    NOT NULL,
    hash             TEXT    NOT NULL
);
CREATE INDEX audit_entries_organization ON audit_entries (organization_id, seq);
