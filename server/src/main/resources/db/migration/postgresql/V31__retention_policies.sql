-- How long an organization keeps stored messages. No row: kept until erased.
CREATE TABLE retention_policies (
    organization_id  TEXT    PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    days             INTEGER NOT NULL CHECK (days > 0),
    updated_at       BIGINT      NOT NULL
);
