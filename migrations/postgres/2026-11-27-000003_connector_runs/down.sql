DROP TABLE connector_runs;
