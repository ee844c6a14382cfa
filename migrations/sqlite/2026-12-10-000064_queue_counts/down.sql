DROP INDEX requests_open_confirmed;
DROP TRIGGER requests_open_count_update;
DROP TRIGGER requests_open_count_delete;
DROP TRIGGER requests_open_count_insert;
DROP TABLE open_request_counts;
