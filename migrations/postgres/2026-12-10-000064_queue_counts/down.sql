DROP INDEX requests_open_confirmed;
DROP TRIGGER requests_open_count_update ON requests;
DROP TRIGGER requests_open_count_insert_delete ON requests;
DROP FUNCTION open_request_counts_follow();
DROP TABLE open_request_counts;
