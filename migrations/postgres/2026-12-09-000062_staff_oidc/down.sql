DROP TABLE staff_oidc_states;
ALTER TABLE staff DROP COLUMN password_usable;
