-- An organization's own OpenID provider, set by its administrators: people whose email domain is
-- one of email_domains sign in through it into this organization. No secret is stored: the
-- client secret is the name of an environment variable of the server (env:SOUVERAIN_OIDC_...),
-- or NULL for a public client, which PKCE alone protects. roles: JSON {role: [provider groups]}.
CREATE TABLE organization_sign_on (
    organization_id  TEXT    PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    issuer           TEXT    NOT NULL,
    client_id        TEXT    NOT NULL,
    client_secret    TEXT,
    provider_name    TEXT    NOT NULL,
    role_claim       TEXT    NOT NULL,
    roles            TEXT    NOT NULL,
    updated_at       BIGINT  NOT NULL
);

-- Each email domain leads to one organization's provider at most.
CREATE TABLE sign_on_domains (
    domain           TEXT    PRIMARY KEY,
    organization_id  TEXT    NOT NULL REFERENCES organization_sign_on (organization_id) ON DELETE CASCADE
);

-- The organization whose provider a sign-in under way began with; NULL: the server's own provider.
ALTER TABLE oidc_logins ADD COLUMN organization_id TEXT;
