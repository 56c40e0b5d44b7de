-- Accounts signed in through an OpenID provider: the provider's issuer and subject name the
-- person for good (an email address may change hands); the user row holds the rest.
CREATE TABLE external_identities (
    issuer      TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    user_id     TEXT    NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    created_at  BIGINT  NOT NULL,
    PRIMARY KEY (issuer, subject)
);

-- Whether an organization's users may sign in with a password. No row: they may.
CREATE TABLE sign_in_settings (
    organization_id    TEXT    PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    passwords_enabled  BOOLEAN NOT NULL,
    updated_at         BIGINT  NOT NULL
);

-- Sign-ins under way at the provider: each state is taken once, and only by the browser that
-- holds the binding cookie whose hash is kept here. Only hashes of the state and the binding.
CREATE TABLE oidc_logins (
    state_hash     TEXT    PRIMARY KEY,
    binding_hash   TEXT    NOT NULL,
    nonce          TEXT    NOT NULL,
    code_verifier  TEXT    NOT NULL,
    redirect_uri   TEXT    NOT NULL,
    expires_at     BIGINT  NOT NULL
);
