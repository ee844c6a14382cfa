DROP INDEX requests_due;
