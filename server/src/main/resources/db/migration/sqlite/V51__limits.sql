-- Rate limits and token budgets of an organization, a user or an API key. A null column
-- sets no limit of its kind. soft_percent of a budget warns; the budget itself refuses.
CREATE TABLE limits (
    organization_id      TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    subject_kind         TEXT    NOT NULL CHECK (subject_kind IN ('organization', 'user', 'key')),
    subject_id           TEXT    NOT NULL,
    requests_per_minute  INTEGER,
    tokens_per_minute    INTEGER,
    tokens_per_day       INTEGER,
    tokens_per_month     INTEGER,
    soft_percent         INTEGER  NOT NULL,
    updated_at           INTEGER  NOT NULL,
    PRIMARY KEY (organization_id, subject_kind, subject_id)
);

-- What each subject used in each window ('m' + epoch minute, 'd' + UTC day, 'M' + UTC month), kept
-- in the database so that counting survives a restart and every server process shares it.
CREATE TABLE limit_counters (
    subject      TEXT    NOT NULL,
    window_key   TEXT    NOT NULL,
    measure      TEXT    NOT NULL CHECK (measure IN ('requests', 'tokens')),
    used         INTEGER  NOT NULL,
    expires_at   INTEGER  NOT NULL,
    PRIMARY KEY (subject, window_key, measure)
);
CREATE INDEX limit_counters_expiry ON limit_counters (expires_at);
