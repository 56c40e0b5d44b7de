-- Files uploaded for batch jobs and the files the jobs write. A file's name and content are Vault
-- ciphertexts under its organization's data key, each bound to its record; the content is kept in
-- parts (an upload is one part, a batch output one part per input line, keyed by the line's
-- number so that a line's result is written at most once, whatever restarts in between).
CREATE TABLE files (
    id               TEXT    PRIMARY KEY,
    organization_id  TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    owner_id         TEXT    NOT NULL,
    purpose          TEXT    NOT NULL,
    source           TEXT    NOT NULL,
    filename         BYTEA      NOT NULL,
    bytes            BIGINT      NOT NULL,
    lines            INTEGER NOT NULL,
    created_at       BIGINT      NOT NULL
);
CREATE INDEX files_organization ON files (organization_id, created_at);

CREATE TABLE file_parts (
    file_id     TEXT    NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    part        INTEGER NOT NULL,
    content     BYTEA      NOT NULL,
    created_at  BIGINT      NOT NULL,
    PRIMARY KEY (file_id, part)
);
