-- The people of an organization. An email address is one account in the whole installation: it is
-- what signing in names, stored in lower case.
CREATE TABLE users (
    id               TEXT    PRIMARY KEY,
    organization_id  TEXT    NOT NULL REFERENCES organizations (id),
    email            TEXT    NOT NULL UNIQUE,
    role             TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'auditor')),
    -- Argon2id in the PHC string format: its parameters and salt travel with it.
    password_hash    TEXT    NOT NULL,
    created_at       INTEGER  NOT NULL,
    disabled_at      INTEGER,
    last_sign_in_at  INTEGER
);
CREATE INDEX users_organization ON users (organization_id);
