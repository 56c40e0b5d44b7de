-- Whether an organization's requests leaving for a remote backend have their personal data
-- replaced by placeholders, and which kinds. No row: off.
CREATE TABLE redaction_settings (
    organization_id  TEXT    PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    enabled          INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    kinds            TEXT    NOT NULL,
    updated_at       INTEGER  NOT NULL
);
