-- API keys: the id is the key's public part; of the secret only its SHA-256 is kept.
CREATE TABLE api_keys (
    id               TEXT    PRIMARY KEY,
    organization_id  TEXT    NOT NULL REFERENCES organizations (id),
    name             TEXT    NOT NULL,
    secret_hash      TEXT    NOT NULL,
    scopes           TEXT    NOT NULL,
    created_by       TEXT    NOT NULL,
    created_at       INTEGER  NOT NULL,
    expires_at       INTEGER,
    last_used_at     INTEGER,
    revoked_at       INTEGER
);
CREATE INDEX api_keys_organization ON api_keys (organization_id);
