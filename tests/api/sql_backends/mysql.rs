//! The mysql backend of the SQL connector.
