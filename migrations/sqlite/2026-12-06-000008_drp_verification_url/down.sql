ALTER TABLE drp_requests DROP COLUMN verification_url_enc;
