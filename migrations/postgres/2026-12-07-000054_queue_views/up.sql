-- The closed and all views of the staff queue list the most recently due first and
-- continue by keyset on (due_on, id); the open view keeps its partial index.
CREATE INDEX requests_due ON requests (due_on, id);
