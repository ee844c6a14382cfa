//! Database errors as staff read them: temporary or permanent, never quoting a row's
//! value and never the connection URL.

use crate::connectors::ConnectorError;

/// Busy, locked, interrupted, out of resources or going away: worth trying again.
/// 1205 is a lock wait timeout and 1213 a deadlock, both of which roll the statement back.
const TEMPORARY: [u16; 22] = [
    1037, 1038, 1040, 1041, 1053, 1152, 1158, 1159, 1160, 1161, 1203, 1205, 1213, 1226, 1290, 1317,
    1615, 1836, 1927, 1969, 3024, 4031,
];

/// Errors whose server text names only schema objects and accounts, so it is passed on.
/// Others can quote the value that failed ("Incorrect integer value: 'alice@…'").
const NAMES_ONLY: [u16; 17] = [
    1044, 1045, 1048, 1049, 1054, 1142, 1143, 1146, 1175, 1216, 1217, 1264, 1406, 1451, 1452, 3819,
    4025,
];

/// Duplicate entries: the server quotes the duplicated value.
const DUPLICATE: [u16; 4] = [1022, 1062, 1557, 1586];

pub(super) fn db_error(e: mysql_async::Error) -> ConnectorError {
    use mysql_async::{DriverError, Error};
    match e {
        Error::Io(io) => ConnectorError::Temporary(format!("cannot reach the database ({io})")),
        Error::Driver(
            DriverError::ConnectionClosed
            | DriverError::PoolDisconnected
            | DriverError::PacketOutOfOrder
            | DriverError::UnexpectedPacket { .. },
        ) => ConnectorError::Temporary("the connection to the database was lost".into()),
        Error::Driver(_) => {
            ConnectorError::Permanent("the database client failed on a statement".into())
        }
        Error::Server(s) => server_error(s.code, &s.state, &s.message),
        Error::Url(_) => ConnectorError::Permanent("the database URL is not valid".into()),
        Error::Other(_) => {
            ConnectorError::Temporary("the database client failed unexpectedly".into())
        }
    }
}

fn server_error(code: u16, state: &str, message: &str) -> ConnectorError {
    if TEMPORARY.contains(&code) {
        ConnectorError::Temporary(format!(
            "the database is busy or unavailable (error {code}, SQLSTATE {state}): {message}"
        ))
    } else if DUPLICATE.contains(&code) {
        ConnectorError::Permanent(format!(
            "the database refused the change: a unique key would be duplicated (error {code})"
        ))
    } else if NAMES_ONLY.contains(&code) {
        ConnectorError::Permanent(format!("the database refused the statement: {message}"))
    } else {
        ConnectorError::Permanent(format!(
            "the database refused the statement (error {code}, SQLSTATE {state})"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(code: u16, message: &str) -> ConnectorError {
        db_error(mysql_async::Error::Server(mysql_async::ServerError {
            code,
            message: message.into(),
            state: "23000".into(),
        }))
    }

    #[test]
    fn a_duplicate_is_named_without_its_value() {
        let dup = server(1062, "Duplicate entry 'alice@example.com' for key 'email'");
        assert!(
            matches!(&dup, ConnectorError::Permanent(m) if m.contains("unique key") && !m.contains("alice")),
            "{dup:?}"
        );
    }

    #[test]
    fn a_message_that_can_quote_a_value_is_left_out() {
        let e = server(
            1366,
            "Incorrect integer value: 'alice' for column `x`.`t`.`id`",
        );
        assert!(
            matches!(&e, ConnectorError::Permanent(m) if m.contains("1366") && !m.contains("alice")),
            "{e:?}"
        );
    }

    #[test]
    fn lock_waits_and_deadlocks_are_worth_retrying() {
        for code in [1205, 1213] {
            assert!(matches!(server(code, "x"), ConnectorError::Temporary(_)));
        }
    }

    #[test]
    fn a_foreign_key_failure_keeps_the_constraint_it_names() {
        let e = server(
            1451,
            "Cannot delete or update a parent row: a foreign key constraint fails (`d`.`orders`, CONSTRAINT `orders_customer`)",
        );
        assert!(matches!(&e, ConnectorError::Permanent(m) if m.contains("orders_customer")));
    }
}
