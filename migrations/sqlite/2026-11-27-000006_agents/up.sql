-- Authorized agents: people or services acting for a consumer (CCPA §7063), by the web
-- form with a signed permission, or by the Data Rights Protocol with an Ed25519 key.

-- Who acted for the consumer on a request, and whether the consumer confirmed it.
-- Personal fields are encrypted; the agent's email has a blind index for lookups.
CREATE TABLE request_agents (
    request_id TEXT PRIMARY KEY NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    authority TEXT NOT NULL,
    agent_name_enc TEXT NOT NULL,
    agent_email_enc TEXT NOT NULL,
    agent_email_index TEXT,
    organisation_enc TEXT,
    registration_number_enc TEXT,
    consumer_confirmation TEXT NOT NULL,
    confirmed_at TIMESTAMP,
    drp_agent_id TEXT,
    created_at TIMESTAMP NOT NULL
);

-- Documents people send (an agent's signed permission, a power of attorney): the type
-- is decided from the content, the bytes are encrypted, and staff record their review.
CREATE TABLE documents (
    id TEXT PRIMARY KEY NOT NULL,
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content_enc TEXT,
    uploaded_at TIMESTAMP NOT NULL,
    reviewed_at TIMESTAMP,
    reviewed_by TEXT,
    review_outcome TEXT,
    deleted_at TIMESTAMP
);
CREATE INDEX documents_request ON documents (request_id, uploaded_at);

-- The DRP agent directory: ids and Ed25519 verify keys, from `dsar-portal agents add`.
CREATE TABLE drp_agents (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    verify_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    disabled_at TIMESTAMP
);

-- Bearer tokens from pair-wise key setup, stored as SHA-256 hashes.
CREATE TABLE drp_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    agent_id TEXT NOT NULL REFERENCES drp_agents (id),
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);
CREATE INDEX drp_tokens_agent ON drp_tokens (agent_id);

-- A portal request that arrived through DRP: who sent it, where to call back, and what
-- the agent was last told (the worker posts the status whenever it differs).
CREATE TABLE drp_requests (
    request_id TEXT PRIMARY KEY NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    agent_id TEXT NOT NULL REFERENCES drp_agents (id),
    agent_request_id TEXT,
    exercise TEXT NOT NULL,
    claims_enc TEXT NOT NULL,
    status_callback TEXT,
    revoked BOOLEAN NOT NULL DEFAULT 0,
    results_url_enc TEXT,
    notified_state TEXT,
    callback_attempts BIGINT NOT NULL DEFAULT 0,
    callback_next_at TIMESTAMP,
    callback_claimed_until TIMESTAMP,
    callback_error TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX drp_requests_agent ON drp_requests (agent_id, agent_request_id);

-- Signed bodies already accepted (SHA-256 of the signature), kept past their expiry so
-- that none is ever accepted twice.
CREATE TABLE drp_replays (
    signature_hash TEXT PRIMARY KEY NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
