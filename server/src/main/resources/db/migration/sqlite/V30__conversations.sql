-- Stored conversations (the chat app's, and API requests with store: true). Titles, system
-- prompts, metadata and message contents are Vault ciphertexts bound to their organization,
-- their user (user_id; NULL when an API key owns the conversation: the organization's key) and
-- their record; the rest is what the platform needs to list, route and purge without reading them.
CREATE TABLE conversations (
    id               TEXT    PRIMARY KEY,
    organization_id  TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    owner_id         TEXT    NOT NULL,
    user_id          TEXT,
    title            BLOB      NOT NULL,
    system_prompt    BLOB,
    metadata         BLOB,
    model            TEXT,
    temperature      REAL,
    created_at       INTEGER      NOT NULL,
    updated_at       INTEGER      NOT NULL
);
CREATE INDEX conversations_owner ON conversations (organization_id, owner_id, updated_at);
CREATE INDEX conversations_updated ON conversations (updated_at);

CREATE TABLE messages (
    id                 TEXT    PRIMARY KEY,
    conversation_id    TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq                INTEGER NOT NULL,
    role               TEXT    NOT NULL,
    content            BLOB      NOT NULL,
    model              TEXT,
    backend            TEXT,
    backend_location   TEXT,
    prompt_tokens      INTEGER,
    completion_tokens  INTEGER,
    created_at         INTEGER      NOT NULL,
    UNIQUE (conversation_id, seq)
);
CREATE INDEX messages_created ON messages (created_at);
