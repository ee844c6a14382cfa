-- Sent messages keep only what the audit needs: the body is replaced by a stub once
-- sent (or after mail.keep_sent_bodies_days), and this records when.
ALTER TABLE outbox ADD COLUMN body_cleared_at TIMESTAMP NULL;
