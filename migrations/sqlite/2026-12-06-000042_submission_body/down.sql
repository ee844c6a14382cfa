ALTER TABLE requests DROP COLUMN submission_body;
