-- Batch jobs: who asked (the principal the lines run as), what to run, where it stands, and the
-- files it reads and writes. Metadata is a Vault ciphertext under the organization's data key.
-- A runner holds a job by a lease (runner, lease_until), so that two servers on one store never
-- run the same job, and a job whose server died is taken over once its lease runs out.
CREATE TABLE batch_jobs (
    id               TEXT    PRIMARY KEY,
    organization_id  TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    owner_id         TEXT    NOT NULL,
    owner_role       TEXT,
    owner_scopes     TEXT    NOT NULL,
    api              TEXT    NOT NULL,
    endpoint         TEXT    NOT NULL,
    model            TEXT,
    input_file_id    TEXT    NOT NULL,
    output_file_id   TEXT    NOT NULL,
    error_file_id    TEXT    NOT NULL,
    metadata         BLOB,
    status           TEXT    NOT NULL,
    error            TEXT,
    total            INTEGER NOT NULL,
    succeeded        INTEGER NOT NULL,
    failed           INTEGER NOT NULL,
    timeout_hours    INTEGER NOT NULL,
    created_at       INTEGER      NOT NULL,
    started_at       INTEGER,
    completed_at     INTEGER,
    cancelling_at    INTEGER,
    runner           TEXT,
    lease_until      INTEGER
);
CREATE INDEX batch_jobs_organization ON batch_jobs (organization_id, created_at);
CREATE INDEX batch_jobs_status ON batch_jobs (status);
