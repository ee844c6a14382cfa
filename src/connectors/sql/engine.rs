//! The SQL connector's runs: search, export and erase over the backend. (Being written.)

use super::SqlConnector;
use crate::connectors::{ConnectorError, ErasureReport, Matches, Records, Subject};

fn pending() -> ConnectorError {
    ConnectorError::Permanent("the SQL connector is not ready yet".into())
}

pub(super) fn find(_c: &SqlConnector, _subject: &Subject) -> Result<Matches, ConnectorError> {
    Err(pending())
}

pub(super) fn export(_c: &SqlConnector, _m: &Matches) -> Result<Records, ConnectorError> {
    Err(pending())
}

pub(super) fn erase(_c: &SqlConnector, _m: &Matches) -> Result<ErasureReport, ConnectorError> {
    Err(pending())
}

pub(super) fn check(c: &SqlConnector) -> Result<(), ConnectorError> {
    c.backend.ping()
}

pub(super) fn advice(_c: &SqlConnector) -> Result<Vec<String>, ConnectorError> {
    Ok(Vec::new())
}
