-- Connector runs: one row per find / export / erase / opt-out of one system for one
-- request, worked by the background worker with retries. The result (matches, exported
-- records or erasure counts) is stored encrypted: it can identify the person.
CREATE TABLE connector_runs (
    id TEXT PRIMARY KEY NOT NULL,
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    connector TEXT NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    based_on TEXT,
    result_enc TEXT,
    summary TEXT,
    error TEXT,
    requested_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX connector_runs_due ON connector_runs (status, next_attempt_at);
CREATE INDEX connector_runs_request ON connector_runs (request_id, created_at);
