//! The SQL connector end to end on a realistic shop database, on PostgreSQL, MariaDB
//! and SQLite, with neighbours who look like the person.
