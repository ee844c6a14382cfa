DROP INDEX connector_runs_external;
ALTER TABLE connector_runs DROP COLUMN external_id;
