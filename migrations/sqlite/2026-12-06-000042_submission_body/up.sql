-- A keyed digest of the canonical body an Idempotency-Key was first sent with: the
-- same key with another body is refused instead of answered with this request.
ALTER TABLE requests ADD COLUMN submission_body TEXT NULL;
