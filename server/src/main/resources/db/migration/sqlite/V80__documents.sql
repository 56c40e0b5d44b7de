-- Document libraries (package documents). A library is its creator's (owner_id: a user or an API
-- key) until shared with the whole organization (org_role) or with named users (library_shares),
-- as Viewer or Editor. Names, descriptions, originals and extracted texts are Vault ciphertexts
-- under the organization's data key, bound to their record; the search index lives in the data
-- directory, encrypted under the organization's index key, which is stored here wrapped by the
-- organization's data key, so that destroying that key makes the index unreadable too.
CREATE TABLE libraries (
    id               TEXT    PRIMARY KEY,
    organization_id  TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    owner_id         TEXT    NOT NULL,
    owner_is_user    INTEGER NOT NULL,
    name             BLOB    NOT NULL,
    description      BLOB,
    chunk_size       INTEGER,
    org_role         TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX libraries_organization ON libraries (organization_id);

CREATE TABLE library_shares (
    library_id  TEXT NOT NULL REFERENCES libraries (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL,
    role        TEXT NOT NULL,
    PRIMARY KEY (library_id, user_id)
);

CREATE TABLE library_documents (
    id               TEXT    PRIMARY KEY,
    library_id       TEXT    NOT NULL REFERENCES libraries (id) ON DELETE CASCADE,
    organization_id  TEXT    NOT NULL,
    name             BLOB    NOT NULL,
    extension        TEXT,
    mime_type        TEXT,
    size             INTEGER NOT NULL,
    uploaded_by      TEXT    NOT NULL,
    uploaded_by_user INTEGER NOT NULL,
    status           TEXT    NOT NULL,
    failure          TEXT,
    pages            INTEGER,
    chunks           INTEGER,
    language         TEXT,
    original         BLOB    NOT NULL,
    text             BLOB,
    text_size        INTEGER,
    created_at       INTEGER NOT NULL,
    processed_at     INTEGER
);
CREATE INDEX library_documents_library ON library_documents (library_id, created_at);

CREATE TABLE document_index_keys (
    organization_id  TEXT    PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    wrapped_key      BLOB    NOT NULL,
    created_at       INTEGER NOT NULL
);
