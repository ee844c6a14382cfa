-- Saved replies staff start a message from. `kind` and `regime` are a request kind's
-- and a regime's code, or 'any'; `purpose` names the text box the reply fills. The
-- body is the administrator's text with `{placeholder}` names, kept as data (never
-- compiled as a template); it holds no personal data.
CREATE TABLE reply_templates (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    purpose TEXT NOT NULL,
    kind TEXT NOT NULL,
    regime TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX reply_templates_purpose ON reply_templates (purpose, name);

-- A few replies a privacy team would otherwise write first; administrators edit or
-- delete them like their own.
INSERT INTO reply_templates (id, name, purpose, kind, regime, body, created_at, updated_at) VALUES
('default-gdpr-identity', 'Identity check (GDPR)', 'information', 'any', 'gdpr',
 'To answer your request {reference} we need to be sure it comes from you. Please reply with the postal address or customer number you gave {organisation}, so we can match it to our records. Under the GDPR the one-month period runs from the day we receive this information; we will answer by {due_date} at the latest.',
 '2026-12-07 00:00:00', '2026-12-07 00:00:00'),
('default-ccpa-partial', 'Partial fulfilment (CCPA)', 'partial', 'any', 'ccpa',
 'We have completed your request “{kind}” ({reference}), received on {received_date}, in part. Some information was not provided because the law allows or requires {organisation} to keep it back; the reasons are set out below.',
 '2026-12-07 00:00:00', '2026-12-07 00:00:00'),
('default-any-fulfilment', 'Request completed', 'fulfilment', 'any', 'any',
 'We have completed your request “{kind}” ({reference}), received on {received_date}, as the {law} requires.',
 '2026-12-07 00:00:00', '2026-12-07 00:00:00'),
('default-any-extension', 'More time needed', 'extension', 'any', 'any',
 'Your request {reference} needs more time because of the number and complexity of the records involved. We will answer by {due_date}.',
 '2026-12-07 00:00:00', '2026-12-07 00:00:00');

-- The audit log's filters, each read newest first: by actor, by action, by date.
CREATE INDEX audit_events_actor ON audit_events (actor, seq);
CREATE INDEX audit_events_action ON audit_events (action, seq);
CREATE INDEX audit_events_created ON audit_events (created_at);
