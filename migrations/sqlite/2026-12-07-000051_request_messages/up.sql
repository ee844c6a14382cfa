-- The conversation on a request: messages between staff and the person (or the agent
-- who filed for them), the questions staff ask for information and the answers to
-- them. The text is personal data, so it is stored encrypted like notes; a message may
-- carry one document from `documents`.
CREATE TABLE request_messages (
    id TEXT PRIMARY KEY NOT NULL,
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    author TEXT NOT NULL,
    staff_id TEXT NULL REFERENCES staff (id),
    purpose TEXT NOT NULL,
    body_enc TEXT NOT NULL,
    document_id TEXT NULL REFERENCES documents (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX request_messages_request ON request_messages (request_id, created_at);
