DROP TABLE outbox;
DROP TABLE audit_events;
DROP TABLE tokens;
DROP TABLE request_identities;
DROP TABLE requests;
DROP TABLE audit_head;
