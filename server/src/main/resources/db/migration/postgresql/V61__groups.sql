-- Groups of users of an organization, made by hand or mirroring a group of the OpenID provider
-- (idp_group: the value of the groups claim whose holders are its members).
CREATE TABLE user_groups (
    id               TEXT    PRIMARY KEY,
    organization_id  TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name             TEXT    NOT NULL,
    idp_group        TEXT,
    created_at       BIGINT  NOT NULL,
    UNIQUE (organization_id, name),
    UNIQUE (organization_id, idp_group)
);

CREATE TABLE group_members (
    group_id  TEXT  NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    user_id   TEXT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

-- The models a group's members may use. A user in no group with a row here may use every model.
CREATE TABLE group_models (
    group_id  TEXT  NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    model     TEXT  NOT NULL,
    PRIMARY KEY (group_id, model)
);
