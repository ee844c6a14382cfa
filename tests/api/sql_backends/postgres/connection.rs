//! The connection: opened lazily, refused connections retryable with no secret in the
//! message, and a connection the server ended replaced by a new one.

use super::{db_url, Fixture};
use dsar_portal::connectors::sql::backend::{Compare, SqlBackend};
use dsar_portal::connectors::sql::postgres::PostgresBackend;
use dsar_portal::connectors::ConnectorError;

#[test]
fn a_refused_connection_is_temporary_and_names_no_password() {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let b = PostgresBackend::open("postgres://staff:hunter2secret@127.0.0.1:1/shop", None)
        .expect("opening does not connect");
    match b.ping() {
        Err(ConnectorError::Temporary(m)) => assert!(!m.contains("hunter2"), "{m}"),
        other => panic!("expected a temporary error, got {other:?}"),
    }
}

#[test]
fn an_unreadable_url_is_permanent_and_not_echoed() {
    match PostgresBackend::open("postgres://staff:hunter2secret@host:notaport/db", None) {
        Err(ConnectorError::Permanent(m)) => assert!(!m.contains("hunter2"), "{m}"),
        Err(other) => panic!("expected a permanent error, got {other:?}"),
        Ok(_) => panic!("the URL should not parse"),
    }
}

#[test]
fn a_connection_ended_by_the_server_is_replaced() {
    if db_url().is_none() {
        return;
    }
    let Some(mut f) =
        Fixture::new("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);")
    else {
        return;
    };
    let app = f.schema.clone();
    let sep = if f.url.contains('?') { '&' } else { '?' };
    let url = format!("{}{sep}application_name={app}", f.url);
    let b = PostgresBackend::open(&url, Some(&f.schema)).expect("open");
    let one = vec!["1".to_string()];
    b.ping().expect("first connection");

    let ended = f.texts(&format!(
        "SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity WHERE application_name = '{app}'"
    ));
    assert_eq!(ended, [Some("true".to_string())]);

    // The first call may still meet the dead connection; it is then retryable, and the
    // next call connects anew.
    let mut found = None;
    for _ in 0..2 {
        match b.select("t", "id", &one, Compare::Exact, 1) {
            Ok(rows) => {
                found = Some(rows.len());
                break;
            }
            Err(ConnectorError::Temporary(_)) => continue,
            Err(e) => panic!("a lost connection is not permanent: {e:?}"),
        }
    }
    assert_eq!(found, Some(1));
}
