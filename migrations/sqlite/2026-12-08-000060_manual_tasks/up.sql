-- Tasks for the systems nobody can automate (`kind = "manual"` connectors): one per
-- system and action of a verified request, carried out by the system's owner. The
-- note may name the person or their record, so it is stored encrypted.
CREATE TABLE manual_tasks (
    id TEXT PRIMARY KEY NOT NULL,
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    system TEXT NOT NULL,
    action TEXT NOT NULL,
    owner_id TEXT NULL REFERENCES staff (id),
    status TEXT NOT NULL,
    due_on DATE NOT NULL,
    note_enc TEXT NULL,
    created_at TIMESTAMP NOT NULL,
    done_at TIMESTAMP NULL,
    done_by TEXT NULL,
    reminded_on DATE NULL,
    version BIGINT NOT NULL
);
-- "My open tasks, soonest due first" and "all open tasks" (the tasks page, reminders).
CREATE INDEX manual_tasks_owner_open ON manual_tasks (owner_id, due_on, id) WHERE status = 'open';
CREATE INDEX manual_tasks_open_due ON manual_tasks (due_on, id) WHERE status = 'open';
CREATE INDEX manual_tasks_request ON manual_tasks (request_id, created_at);
-- Creating tasks twice (a double click, a retry) leaves one open task per system and action.
CREATE UNIQUE INDEX manual_tasks_one_open ON manual_tasks (request_id, system, action) WHERE status = 'open';

-- Files an owner exported from their system, for the access package. The name and
-- the content are personal data: both encrypted.
CREATE TABLE manual_task_files (
    id TEXT PRIMARY KEY NOT NULL,
    task_id TEXT NOT NULL REFERENCES manual_tasks (id) ON DELETE CASCADE,
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    name_enc TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content_enc TEXT NULL,
    uploaded_at TIMESTAMP NOT NULL,
    uploaded_by TEXT NOT NULL
);
CREATE INDEX manual_task_files_task ON manual_task_files (task_id, uploaded_at);
CREATE INDEX manual_task_files_request ON manual_task_files (request_id);
