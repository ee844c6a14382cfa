//! Opening the backend: which URLs it takes, what it says about the ones it refuses
//! (never the password), and how an unreachable server is reported.

use super::*;
use dsar_portal::connectors::sql::backend::BackendKind;
use dsar_portal::connectors::ConnectorError;

fn refusal(url: &str) -> String {
    match MySqlBackend::open(url, None) {
        Err(ConnectorError::Permanent(m)) => m,
        Err(e) => panic!("{url}: not a permanent error: {e:?}"),
        Ok(_) => panic!("{url}: opened"),
    }
}

#[test]
fn a_url_without_a_database_or_not_a_url_is_refused_without_its_password() {
    for url in [
        "mysql://root:s3cretpw@127.0.0.1:3306",
        "mysql://root:s3cretpw@127.0.0.1:3306/",
        "mysql://root:s3cretpw@127.0.0.1:notaport/shop",
    ] {
        let message = refusal(url);
        assert!(!message.contains("s3cretpw"), "{url}: {message}");
    }
    assert!(refusal("mysql://root:s3cretpw@127.0.0.1/").contains("name the database"));
}

#[test]
fn an_unreachable_server_is_worth_trying_again() {
    let backend = MySqlBackend::open("mysql://root:s3cretpw@127.0.0.1:1/shop", None).expect("open");
    match backend.ping() {
        Err(ConnectorError::Temporary(m)) => assert!(!m.contains("s3cretpw"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn mysql_and_mariadb_urls_both_reach_the_server() {
    let Some(db) = Db::new() else { return };
    let backend = db.backend();
    assert_eq!(backend.kind(), BackendKind::MySql);
    backend.ping().expect("ping");
    let mariadb = db.url.replacen("mysql://", "mariadb://", 1);
    MySqlBackend::open(&mariadb, None)
        .expect("open")
        .ping()
        .expect("ping over mariadb://");
}
