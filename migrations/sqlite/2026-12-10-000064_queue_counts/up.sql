-- The staff queue's first page with many open requests.
--
-- 1. Open requests per status, kept by triggers in the same transaction as every
--    insert, status change, close or delete of a request, so the counts above the queue
--    read a handful of rows instead of grouping every open request, and stay exact
--    whichever code (or hand-written SQL) changes a row. The rows are only written
--    where requests are written under the `audit_head` lock, so they add no new waits.
--    A later migration that rebuilds `requests` (SQLite's copy-and-rename) must create
--    these triggers again.
CREATE TABLE open_request_counts (
    status TEXT PRIMARY KEY NOT NULL,
    requests BIGINT NOT NULL
);
INSERT INTO open_request_counts (status, requests)
    SELECT status, COUNT(*) FROM requests WHERE closed_at IS NULL GROUP BY status;

CREATE TRIGGER requests_open_count_insert AFTER INSERT ON requests
WHEN NEW.closed_at IS NULL
BEGIN
    INSERT INTO open_request_counts (status, requests)
        SELECT NEW.status, 0
        WHERE NOT EXISTS (SELECT 1 FROM open_request_counts WHERE status = NEW.status);
    UPDATE open_request_counts SET requests = requests + 1 WHERE status = NEW.status;
END;

CREATE TRIGGER requests_open_count_delete AFTER DELETE ON requests
WHEN OLD.closed_at IS NULL
BEGIN
    UPDATE open_request_counts SET requests = requests - 1 WHERE status = OLD.status;
END;

CREATE TRIGGER requests_open_count_update AFTER UPDATE OF status, closed_at ON requests
WHEN OLD.status IS NOT NEW.status
    OR (OLD.closed_at IS NULL) IS NOT (NEW.closed_at IS NULL)
BEGIN
    UPDATE open_request_counts SET requests = requests - 1
        WHERE OLD.closed_at IS NULL AND status = OLD.status;
    INSERT INTO open_request_counts (status, requests)
        SELECT NEW.status, 0
        WHERE NEW.closed_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM open_request_counts WHERE status = NEW.status);
    UPDATE open_request_counts SET requests = requests + 1
        WHERE NEW.closed_at IS NULL AND status = NEW.status;
END;

-- 2. The open view without the unconfirmed (the default page): open requests past
--    `submitted`, soonest due first. Through `requests_open_queue` the page walked
--    every unconfirmed request to find none when thousands were waiting for their
--    email link. Unconfirmed requests are not in it, so intake does not write it.
--    The queue's query repeats this WHERE word for word (a literal, not a bound value)
--    so that SQLite and PostgreSQL both see that the index applies.
CREATE INDEX requests_open_confirmed ON requests (due_on, id)
    WHERE closed_at IS NULL AND status <> 'submitted';
