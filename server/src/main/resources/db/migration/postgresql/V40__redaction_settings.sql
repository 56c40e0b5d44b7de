-- Whether an organization's requests leaving for a remote backend have their personal data
-- replaced by placeholders, and which kinds. No row: off.
CREATE TABLE redaction_settings (
    organization_id  TEXT    PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    enabled          BOOLEAN NOT NULL,
    kinds            TEXT    NOT NULL,
    updated_at       BIGINT  NOT NULL
);
