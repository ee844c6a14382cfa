//! Names the database does not have, keys, identity kinds and references.

use super::*;

#[test]
fn names_the_database_does_not_have_are_errors() {
    let mut d = good();
    d.tables.push(spec("customer", TableErase::Delete));
    table_mut(&mut d, "customers").identities = email_identity("mail");
    table_mut(&mut d, "support_tickets").key = vec!["ticket".into()];
    table_mut(&mut d, "customers")
        .columns
        .insert("nick".into(), ColumnErase::Simple(SimpleErase::Null));
    d.references
        .push(reference("orders.client_id", "customers.id"));
    d.references
        .push(reference("invoices.customer_id", "customers.id"));
    d.references.push(reference("orders", "customers.id"));
    let e = errors(&d);
    assert!(has(&e, &["\"customer\"", "not in the database"]), "{e:?}");
    assert!(has(&e, &["\"mail\"", "identities"]), "{e:?}");
    assert!(has(&e, &["\"ticket\"", "key"]), "{e:?}");
    assert!(has(&e, &["\"nick\"", "columns"]), "{e:?}");
    assert!(has(&e, &["orders.client_id", "no column"]), "{e:?}");
    assert!(has(&e, &["\"invoices\"", "not in the database"]), "{e:?}");
    assert!(has(&e, &["from must be written"]), "{e:?}");
    assert_eq!(e.len(), 7, "one error per wrong name: {e:?}");
}

#[test]
fn a_table_listed_twice_is_an_error() {
    let mut d = good();
    d.tables.push(spec("orders", TableErase::Delete));
    assert!(has(&errors(&d), &["\"orders\"", "twice"]));
}

#[test]
fn a_searched_or_reached_table_needs_a_key() {
    let mut d = good();
    table_mut(&mut d, "support_tickets").key.clear();
    assert!(has(&errors(&d), &["\"support_tickets\"", "no primary key"]));
    // Not searched nor reached: nothing is ever named there, so no key is needed.
    table_mut(&mut d, "support_tickets").identities.clear();
    assert!(!has(&errors(&d), &["no primary key"]));
}

#[test]
fn an_identity_the_portal_does_not_collect_is_an_error() {
    let mut d = good();
    table_mut(&mut d, "customers").identities[0].identity = "phone".into();
    let e = errors(&d);
    assert!(
        has(&e, &["\"phone\"", "does not collect", "customer_number"]),
        "{e:?}"
    );
    // Without the list the check is skipped.
    let r = review(&d, &shop(), BackendKind::Postgres, None, true);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

#[test]
fn a_reference_between_text_and_integer_is_an_error() {
    let mut d = good();
    d.references[1].to = "customers.email".into();
    assert!(has(
        &errors(&d),
        &["orders.customer_id → customers.email", "never match"]
    ));
}

#[test]
fn a_reference_walked_into_an_unlisted_table_is_an_error() {
    let mut d = good();
    d.tables.retain(|t| t.name != "addresses");
    let e = errors(&d);
    assert!(
        has(&e, &["walked into table \"addresses\"", "not listed"]),
        "{e:?}"
    );
    // Not walked, it is only a declaration: no error.
    d.references[0].walk = false;
    assert!(!has(&errors(&d), &["walked into"]));
}
