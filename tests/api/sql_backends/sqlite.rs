//! The sqlite backend of the SQL connector.
