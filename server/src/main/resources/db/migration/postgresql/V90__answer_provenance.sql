-- Each kept answer's signed statement that it is AI-generated (provenance), as the answer carried
-- it: a Vault ciphertext like the content, since the statement holds the SHA-256 of the text.
-- NULL for what no model wrote here (a person's message, an answer added by hand or kept before).
ALTER TABLE messages ADD COLUMN provenance BYTEA;
