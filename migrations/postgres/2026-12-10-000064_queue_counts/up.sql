-- The staff queue's first page with many open requests.
--
-- 1. Open requests per status, kept by a trigger in the same transaction as every
--    insert, status change, close or delete of a request, so the counts above the queue
--    read a handful of rows instead of grouping every open request, and stay exact
--    whichever code (or hand-written SQL) changes a row. The triggers are deferred to
--    the commit: every transaction that changes requests appends audit events and so
--    holds the `audit_head` lock by then (intake batches take it last, just before
--    committing), so a count row is locked only after it and only for the commit. Run
--    at the insert instead, a batch would hold the row from its first intake on:
--    parallel batches would queue on it, and a staff change holding `audit_head` and
--    waiting for it would deadlock with a batch waiting for `audit_head`.
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

CREATE CONSTRAINT TRIGGER requests_open_count_insert_delete AFTER INSERT OR DELETE ON requests
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION open_request_counts_follow();
CREATE CONSTRAINT TRIGGER requests_open_count_update AFTER UPDATE OF status, closed_at ON requests
    DEFERRABLE INITIALLY DEFERRED
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
