-- Staff sessions held on the server, so that logout, a password change, a reset, a
-- disable or an administrator can end them. Only the SHA-256 of the session secret
-- (which lives in the encrypted session cookie) is stored; `id` is the public handle
-- the sessions page uses. Timeouts are measured from these timestamps.
CREATE TABLE staff_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    staff_id TEXT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    started_at TIMESTAMP NOT NULL,
    seen_at TIMESTAMP NOT NULL,
    -- Browser and system in short ("Firefox · Linux"), never the whole header.
    client TEXT NOT NULL,
    -- Wrong "current password" answers on the password page in this session.
    password_failures BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);

-- Failed logins per client address, which is kept only as a keyed hash (HMAC with
-- the blind-index key): a client that guesses is slowed down whatever account it tries.
CREATE TABLE login_throttle (
    client_key TEXT PRIMARY KEY NOT NULL,
    failures BIGINT NOT NULL,
    locked_until TIMESTAMP,
    last_failure_at TIMESTAMP NOT NULL
);
