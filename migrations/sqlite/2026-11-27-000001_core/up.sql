-- Core tables of the portal. Portable column types only (text ids, TIMESTAMP in UTC,
-- BIGINT, text for JSON) so SQLite and PostgreSQL share one diesel schema.

-- One row, locked first by every write transaction: it serialises writers (the audit
-- hash chain needs a single order) and makes SQLite take its write lock up front.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, last_hash) VALUES (1, 0, '');

CREATE TABLE requests (
    id TEXT PRIMARY KEY NOT NULL,
    reference TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    jurisdiction TEXT NOT NULL,
    regime TEXT NOT NULL,
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    gpc BOOLEAN NOT NULL DEFAULT 0,
    received_at TIMESTAMP NOT NULL,
    due_on DATE NOT NULL,
    acknowledge_by DATE,
    paused_days BIGINT NOT NULL DEFAULT 0,
    extended BOOLEAN NOT NULL DEFAULT 0,
    details_enc TEXT,
    submission_key TEXT NOT NULL UNIQUE,
    verified_at TIMESTAMP,
    closed_at TIMESTAMP,
    version BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX requests_status_due ON requests (status, due_on);

CREATE TABLE request_identities (
    id TEXT PRIMARY KEY NOT NULL,
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    value_enc TEXT NOT NULL,
    blind_index TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX request_identities_request ON request_identities (request_id);
CREATE INDEX request_identities_blind ON request_identities (blind_index);

CREATE TABLE tokens (
    id TEXT PRIMARY KEY NOT NULL,
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX tokens_request ON tokens (request_id, purpose);

CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL UNIQUE,
    request_id TEXT REFERENCES requests (id),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    detail TEXT NOT NULL,
    consumer_visible BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_events_request ON audit_events (request_id, seq);

CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,
    request_id TEXT REFERENCES requests (id) ON DELETE SET NULL,
    template TEXT NOT NULL,
    message_enc TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    last_error TEXT,
    sent_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
