//! The postgres backend of the SQL connector.
