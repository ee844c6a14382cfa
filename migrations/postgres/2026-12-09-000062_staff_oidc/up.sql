-- Staff sign-in through the organisation's identity provider (OpenID Connect).
-- An account the provider created has a random password nobody knows: the accounts
-- page says it signs in through the provider only.
ALTER TABLE staff ADD COLUMN password_usable BOOLEAN NOT NULL DEFAULT TRUE;

-- Each sign-in started at the provider, by the SHA-256 of its `state`, so that the
-- provider's answer is taken once: a second use of the same answer is refused.
CREATE TABLE staff_oidc_states (
    state_hash TEXT PRIMARY KEY NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP NULL
);
CREATE INDEX staff_oidc_states_expiry ON staff_oidc_states (expires_at);
