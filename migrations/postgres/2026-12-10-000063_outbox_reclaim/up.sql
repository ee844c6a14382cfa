-- A queued email's body (about 4 KB of encrypted text and HTML) is stored out of line,
-- in the outbox's TOAST table; when the message is sent it is replaced by a stub of a few
-- hundred bytes. Both leave dead row versions that only a vacuum makes reusable. The
-- TOAST table holds little but unsent bodies, so autovacuum's default (a fifth of its
-- rows) already visits it soon after a burst. The outbox itself keeps every sent stub,
-- so the default would wait for a fifth of all mail ever sent to have changed (a
-- million-message outbox: 200,000 dead versions, about 100 MB); vacuum it after a
-- fixed number of changed rows instead, whatever its size.
ALTER TABLE outbox SET (
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 5000
);
