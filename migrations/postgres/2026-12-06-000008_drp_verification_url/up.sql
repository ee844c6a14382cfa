-- The user_verification_url (DRP 3.02.1) given to the agent while the person has still
-- to confirm their email address, encrypted like results_url_enc. Its handle is a
-- `drp_verification` token (only its hash is stored there).
ALTER TABLE drp_requests ADD COLUMN verification_url_enc TEXT;
