-- Where an organization's requests may be served. No row: the default policy, local engine only.
-- The lists are JSON arrays of strings; an empty list allows any.
CREATE TABLE residency_policies (
    organization_id  TEXT    PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    remote_backends  INTEGER NOT NULL CHECK (remote_backends IN (0, 1)),
    jurisdictions    TEXT    NOT NULL,
    countries        TEXT    NOT NULL,
    operators        TEXT    NOT NULL,
    updated_at       INTEGER NOT NULL
);
