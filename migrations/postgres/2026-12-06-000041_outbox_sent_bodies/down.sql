ALTER TABLE outbox DROP COLUMN body_cleared_at;
