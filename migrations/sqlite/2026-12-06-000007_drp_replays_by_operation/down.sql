DROP TABLE drp_replays;
CREATE TABLE drp_replays (
    signature_hash TEXT PRIMARY KEY NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
