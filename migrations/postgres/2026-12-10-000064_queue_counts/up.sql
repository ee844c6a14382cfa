-- The staff queue's first page with many open requests.
--
-- 1. Open requests per status, kept by a trigger in the same transaction as every
--    insert, status change, close or delete of a request, so the counts above the queue
--    read a handful of rows instead of grouping every open request, and stay exact
--    whichever code (or hand-written SQL) changes a row. The rows are only written
--    where requests are written, after the `audit_head` lock every such transaction
--    takes first, so they add no new waits and no new lock order.
CREATE TABLE open_request_counts (
    status TEXT PRIMARY KEY NOT NULL,
    requests BIGINT NOT NULL
);
INSERT INTO open_request_counts (status, requests)
    SELECT status, COUNT(*) FROM requests WHERE closed_at IS NULL GROUP BY status;

CREATE FUNCTION open_request_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF OLD.closed_at IS NULL THEN
            UPDATE open_request_counts SET requests = requests - 1 WHERE status = OLD.status;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF NEW.closed_at IS NULL THEN
            INSERT INTO open_request_counts (status, requests) VALUES (NEW.status, 1)
                ON CONFLICT (status)
                DO UPDATE SET requests = open_request_counts.requests + 1;
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER requests_open_count_insert_delete AFTER INSERT OR DELETE ON requests
    FOR EACH ROW EXECUTE FUNCTION open_request_counts_follow();
CREATE TRIGGER requests_open_count_update AFTER UPDATE OF status, closed_at ON requests
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR (OLD.closed_at IS NULL) IS DISTINCT FROM (NEW.closed_at IS NULL))
    EXECUTE FUNCTION open_request_counts_follow();

-- 2. The open view without the unconfirmed (the default page): open requests past
--    `submitted`, soonest due first. Through `requests_open_queue` the page walked
--    every unconfirmed request to find none when thousands were waiting for their
--    email link. Unconfirmed requests are not in it, so intake does not write it.
--    The queue's query repeats this WHERE word for word (a literal, not a bound value)
--    so that the planner can prove the index applies.
CREATE INDEX requests_open_confirmed ON requests (due_on, id)
    WHERE closed_at IS NULL AND status <> 'submitted';
