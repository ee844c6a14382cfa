-- The replay register is keyed on the operation a signed body was accepted for
-- (method, path, agent) together with its signature, not the signature alone: an
-- agent that revokes every request with the same fixed body sends byte-identical
-- bodies, and each must be taken once per request (see src/drp/replay.rs).
--
-- The old keys cannot be carried over: the operation they were accepted for was never
-- stored. The register starts empty. Exercise bodies stay idempotent through their
-- request's submission key, a revoke only applies to an open request (withdrawn is
-- final), so what a body accepted before the upgrade could still do is pair again
-- while its own window lasts (minutes).
DROP TABLE drp_replays;
CREATE TABLE drp_replays (
    replay_key TEXT PRIMARY KEY NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
-- Housekeeping forgets rows by expiry every minute.
CREATE INDEX drp_replays_expires ON drp_replays (expires_at);
