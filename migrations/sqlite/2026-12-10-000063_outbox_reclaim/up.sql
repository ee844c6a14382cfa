-- PostgreSQL's half of this migration has the outbox vacuumed often. SQLite has no
-- per-table setting: a new database is created with auto_vacuum = INCREMENTAL
-- (`db::Manager`) and housekeeping gives free pages back (`db::free_pages`); an
-- existing one is converted with a VACUUM while the portal is stopped
-- (docs/DEPLOYMENT.md). Nothing to change in the schema.
SELECT 1;
