-- Catalogue enrichment jobs: product texts generated for a PrestaShop shop and written back to it.
-- shop_key is the webservice key as a Vault ciphertext under the organization's data key, kept only
-- while an API job may still need it (NULL for command-line runs, which read it from the environment).
-- settings is the job's JSON settings (languages, fields, products, model, tone, flags), no secret.
CREATE TABLE catalogue_jobs (
    id               TEXT    PRIMARY KEY,
    organization_id  TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_by       TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    shop_url         TEXT    NOT NULL,
    shop_key         BYTEA,
    settings         TEXT    NOT NULL,
    total            BIGINT NOT NULL DEFAULT 0,
    done             BIGINT NOT NULL DEFAULT 0,
    written          BIGINT NOT NULL DEFAULT 0,
    skipped          BIGINT NOT NULL DEFAULT 0,
    failed           BIGINT NOT NULL DEFAULT 0,
    error            TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    finished_at      BIGINT
);
CREATE INDEX catalogue_jobs_organization ON catalogue_jobs (organization_id, created_at);

-- One row per field a job wrote to the shop (or proposed, in a dry run), committed as the write
-- completes: what a re-run or a restart skips. text_sha256 is the hash of the text written.
-- before_text/after_text are Vault ciphertexts (organization key, record "<job>/<product>/<language>/<field>"),
-- kept for dry runs, whose review table shows them before anything is written.
CREATE TABLE catalogue_fields (
    job_id           TEXT    NOT NULL REFERENCES catalogue_jobs (id) ON DELETE CASCADE,
    product_id       BIGINT NOT NULL,
    language         TEXT    NOT NULL,
    language_id      BIGINT NOT NULL,
    field            TEXT    NOT NULL,
    text_sha256      TEXT    NOT NULL,
    written          BIGINT NOT NULL,
    before_text      BYTEA,
    after_text       BYTEA,
    provenance       TEXT,
    at               BIGINT NOT NULL,
    PRIMARY KEY (job_id, product_id, language_id, field)
);
