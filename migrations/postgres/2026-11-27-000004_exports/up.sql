-- Access packages: the ZIP a person downloads, encrypted at rest, with a download count
-- and an expiry after which a job deletes its content.
CREATE TABLE exports (
    id TEXT PRIMARY KEY NOT NULL,
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    package_enc TEXT,
    size_bytes BIGINT NOT NULL,
    files BIGINT NOT NULL,
    downloads BIGINT NOT NULL DEFAULT 0,
    max_downloads BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX exports_request ON exports (request_id, created_at);
CREATE INDEX exports_expiry ON exports (expires_at) WHERE deleted_at IS NULL;
