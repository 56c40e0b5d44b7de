-- Data keys: one Tink AES-256-GCM keyset per organization and one per user in it, stored only
-- wrapped by the master key. user_id is '' for the organization's own key. Destroying a key
-- (crypto-shredding) clears wrapped and sets destroyed_at: the row stays as the record of it.
CREATE TABLE data_keys (
    organization_id  TEXT    NOT NULL,
    user_id          TEXT    NOT NULL,
    key_id           BIGINT  NOT NULL,
    wrapped          BYTEA,
    master_key_id    TEXT,
    created_at       BIGINT  NOT NULL,
    wrapped_at       BIGINT  NOT NULL,
    destroyed_at     BIGINT,
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX data_keys_user ON data_keys (user_id);
-- The master key versions the data keys have been wrapped with, when each came into use and
-- when it was destroyed (retired).
CREATE TABLE master_keys (
    id          TEXT    PRIMARY KEY,
    provider    TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    retired_at  BIGINT
);
