-- A run a system accepted for later (webhook 202) waits for a signed callback naming
-- the id the portal sent with the call.
ALTER TABLE connector_runs ADD COLUMN external_id TEXT;
CREATE INDEX connector_runs_external ON connector_runs (connector, external_id);
