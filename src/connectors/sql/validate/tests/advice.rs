//! Index advice, with the statement to run per backend.

use super::*;

fn advice(d: &Dataset, s: &Schema, backend: BackendKind) -> Vec<String> {
    review(d, s, backend, None, true).advice
}

#[test]
fn postgres_and_sqlite_emails_need_an_index_on_lower() {
    for backend in [BackendKind::Postgres, BackendKind::Sqlite] {
        let a = advice(&good(), &shop(), backend);
        assert!(
            a.iter().any(|l| l.contains(
                r#"CREATE INDEX "customers_email_idx" ON "customers" (lower("email"));"#
            )),
            "{a:?}"
        );
    }
    let mut s = shop();
    s.tables[0].indexes.push(Index {
        name: "customers_lower_email".into(),
        columns: vec![],
        lowered: vec!["email".into()],
        unique: false,
    });
    let a = advice(&good(), &s, BackendKind::Postgres);
    assert!(!a.iter().any(|l| l.contains("customers.email")), "{a:?}");
}

#[test]
fn a_postgres_schema_is_named_in_the_statement() {
    let mut d = good();
    d.schema = Some("shop".into());
    let a = advice(&d, &shop(), BackendKind::Postgres);
    assert!(
        a.iter()
            .any(|l| l.contains(r#"ON "shop"."customers" (lower("email"))"#)),
        "{a:?}"
    );
}

#[test]
fn walked_references_need_an_index_on_their_referencing_column() {
    let a = advice(&good(), &shop(), BackendKind::Postgres);
    assert!(
        a.iter().any(|l| l.contains("addresses.customer_id")
            && l.contains(
                r#"CREATE INDEX "addresses_customer_id_idx" ON "addresses" ("customer_id");"#
            )),
        "{a:?}"
    );
    // Indexed already, or not walked: nothing to say.
    assert!(!a.iter().any(|l| l.contains("orders.customer_id")), "{a:?}");
    assert!(
        !a.iter().any(|l| l.contains("customers.referred_by")),
        "{a:?}"
    );
}

#[test]
fn mysql_emails_depend_on_the_collation() {
    let mut s = shop();
    for c in &mut s.tables[0].columns {
        if c.name == "email" {
            c.collation = Some("utf8mb4_general_ci".into());
        }
    }
    s.tables[0].indexes.clear();
    let a = advice(&good(), &s, BackendKind::MySql);
    assert!(
        a.iter()
            .any(|l| l.contains("CREATE INDEX `customers_email_idx` ON `customers` (`email`);")),
        "{a:?}"
    );
    // A text column is indexed by a prefix on MySQL.
    s.tables[5].indexes.clear();
    let a = advice(&good(), &s, BackendKind::MySql);
    assert!(
        a.iter()
            .any(|l| l.contains("ON `support_tickets` (`email`(255));")),
        "{a:?}"
    );
    for c in &mut s.tables[0].columns {
        if c.name == "email" {
            c.collation = Some("utf8mb4_bin".into());
        }
    }
    let a = advice(&good(), &s, BackendKind::MySql);
    let line = a
        .iter()
        .find(|l| l.contains("customers.email"))
        .expect("advice on a binary collation");
    assert!(
        line.contains("LOWER(email)") && line.contains("utf8mb4_unicode_ci NOT NULL"),
        "{line}"
    );
}

#[test]
fn listed_tables_nothing_reaches_are_pointed_out() {
    let mut d = good();
    d.tables.push(spec("products", TableErase::Keep));
    let a = advice(&d, &shop(), BackendKind::Postgres);
    assert!(
        a.iter()
            .any(|l| l.contains("\"products\"") && l.contains("never searched")),
        "{a:?}"
    );
}
