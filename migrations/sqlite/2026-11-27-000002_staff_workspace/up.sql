-- Staff accounts, request handling columns, pauses, notes, reminders.

CREATE TABLE staff (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT 0,
    disabled BOOLEAN NOT NULL DEFAULT 0,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until TIMESTAMP,
    digest_opt_in BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP
);

ALTER TABLE requests ADD COLUMN assignee_id TEXT REFERENCES staff (id);
ALTER TABLE requests ADD COLUMN acknowledged_at TIMESTAMP;
ALTER TABLE requests ADD COLUMN verification_level TEXT;
ALTER TABLE requests ADD COLUMN verification_detail TEXT;
ALTER TABLE requests ADD COLUMN extension_reason_enc TEXT;
ALTER TABLE requests ADD COLUMN outcome TEXT;
ALTER TABLE requests ADD COLUMN denial_code TEXT;
ALTER TABLE requests ADD COLUMN response_enc TEXT;
ALTER TABLE requests ADD COLUMN responded_at TIMESTAMP;
ALTER TABLE requests ADD COLUMN appeal_of TEXT REFERENCES requests (id);
ALTER TABLE requests ADD COLUMN purged_at TIMESTAMP;

-- The queue: open requests, soonest due first, with a stable tie-break for keyset paging.
CREATE INDEX requests_open_queue ON requests (due_on, id) WHERE closed_at IS NULL;
CREATE INDEX requests_open_status ON requests (status) WHERE closed_at IS NULL;
CREATE INDEX requests_assignee_due ON requests (assignee_id, due_on, id) WHERE closed_at IS NULL;
CREATE INDEX requests_received ON requests (received_at);
CREATE INDEX requests_closed ON requests (closed_at) WHERE purged_at IS NULL;

CREATE TABLE request_pauses (
    id TEXT PRIMARY KEY NOT NULL,
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    started_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP
);
CREATE INDEX request_pauses_request ON request_pauses (request_id);

CREATE TABLE notes (
    id TEXT PRIMARY KEY NOT NULL,
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    staff_id TEXT NOT NULL REFERENCES staff (id),
    body_enc TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX notes_request ON notes (request_id, created_at);

-- One row per reminder or digest ever sent: the unique key makes sending idempotent
-- across restarts and across several portal instances.
CREATE TABLE reminders (
    key TEXT PRIMARY KEY NOT NULL,
    request_id TEXT REFERENCES requests (id) ON DELETE CASCADE,
    sent_at TIMESTAMP NOT NULL
);
