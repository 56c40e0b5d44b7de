-- The organization that the first start created (one row at most): its owners may create others.
CREATE TABLE installation (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    organization_id  TEXT    NOT NULL REFERENCES organizations (id),
    created_at       INTEGER  NOT NULL
);
