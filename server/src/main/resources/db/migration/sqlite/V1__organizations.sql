-- Times are milliseconds since the epoch (UTC) in both dialects; ids are text with a kind prefix.
CREATE TABLE organizations (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);
