-- Web app sessions: the cookie carries a random token, of which only its SHA-256 is kept. The CSRF
-- token is useless without the cookie, and the web app reads it back after a reload.
CREATE TABLE web_sessions (
    token_hash  TEXT    PRIMARY KEY,
    user_id     TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token  TEXT    NOT NULL,
    created_at  INTEGER  NOT NULL,
    expires_at  INTEGER  NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
