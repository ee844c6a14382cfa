//! Database errors as staff read them: temporary or permanent, and never quoting a row.

use crate::connectors::ConnectorError;

/// Worded for staff: the server's own text is passed on only for errors that name
/// schema objects or accounts, never ones that can quote row values (e.g. duplicates).
pub(super) fn db_error(e: mysql_async::Error) -> ConnectorError {
    use mysql_async::{DriverError, Error};
    match e {
        Error::Io(io) => {
            ConnectorError::Temporary(format!("cannot reach the Matomo database ({io})"))
        }
        Error::Driver(
            DriverError::ConnectionClosed
            | DriverError::PoolDisconnected
            | DriverError::PacketOutOfOrder
            | DriverError::UnexpectedPacket { .. },
        ) => ConnectorError::Temporary("the connection to the Matomo database was lost".into()),
        Error::Driver(_) => {
            ConnectorError::Permanent("the Matomo database client failed on a query".into())
        }
        Error::Server(s) => {
            let code = s.code;
            let state = &s.state;
            match code {
                // Busy, locked, interrupted, out of resources or going away.
                1037 | 1038 | 1040 | 1041 | 1053 | 1152 | 1158 | 1159 | 1160 | 1161 | 1203
                | 1205 | 1213 | 1226 | 1290 | 1317 | 1615 | 1836 | 1927 | 1969 | 3024 | 4031 => {
                    ConnectorError::Temporary(format!(
                    "the Matomo database is busy or unavailable (error {code}, SQLSTATE {state})"
                ))
                }
                // Access denied, unknown database, table or column.
                1044 | 1045 | 1049 | 1054 | 1142 | 1143 | 1146 => ConnectorError::Permanent(
                    format!("the Matomo database refused the query: {}", s.message),
                ),
                _ => ConnectorError::Permanent(format!(
                    "the Matomo database refused the query (error {code}, SQLSTATE {state})"
                )),
            }
        }
        Error::Url(_) => ConnectorError::Permanent("the Matomo database URL is not valid".into()),
        Error::Other(_) => {
            ConnectorError::Temporary("the Matomo database client failed unexpectedly".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_mapping_keeps_row_values_out() {
        let server = |code: u16, message: &str| {
            db_error(mysql_async::Error::Server(mysql_async::ServerError {
                code,
                message: message.into(),
                state: "23000".into(),
            }))
        };
        let dup = server(1062, "Duplicate entry 'alice@example.com' for key 'x'");
        assert!(matches!(&dup, ConnectorError::Permanent(m) if !m.contains("alice")));
        assert!(matches!(
            server(1205, "Lock wait timeout"),
            ConnectorError::Temporary(_)
        ));
        assert!(matches!(
            server(1146, "Table 'm.matomo_log_visit' doesn't exist"),
            ConnectorError::Permanent(m) if m.contains("matomo_log_visit")
        ));
    }
}
