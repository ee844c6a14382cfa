//! Each SQL connector backend against its real database: the catalogue it reads, rows
//! selected by one column, and erasure steps applied all or nothing.
//! PostgreSQL from TEST_DATABASE_URL, MariaDB/MySQL from TEST_MATOMO_DB_URL (skipped
//! without them, except under CI), SQLite in a temporary file.

mod mysql;
mod postgres;
mod sqlite;
