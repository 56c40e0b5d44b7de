-- One row per model call, without content: who (organization, user or key), what (endpoint,
-- model, backend and where it runs), how much (tokens, duration, an energy estimate) and how it ended.
CREATE TABLE usage_records (
    id                 TEXT    PRIMARY KEY,
    organization_id    TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id            TEXT,
    key_id             TEXT,
    endpoint           TEXT    NOT NULL,
    model              TEXT    NOT NULL,
    backend            TEXT    NOT NULL,
    backend_location   TEXT    NOT NULL,
    prompt_tokens      BIGINT  NOT NULL,
    cached_tokens      BIGINT  NOT NULL,
    completion_tokens  BIGINT  NOT NULL,
    duration_ms        BIGINT  NOT NULL,
    outcome            TEXT    NOT NULL,
    energy_wh          DOUBLE PRECISION,
    at                 BIGINT  NOT NULL
);
CREATE INDEX usage_records_organization_at ON usage_records (organization_id, at);
