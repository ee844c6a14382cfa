//! The search finds exactly Jane's rows, by the paths the dataset gives, and says what
//! erasure will do to each table; her neighbours' rows are not among them.

use super::*;
use dsar_portal::connectors::TableFinding;

fn table<'a>(m: &'a Matches, name: &str) -> &'a TableFinding {
    m.tables
        .iter()
        .find(|t| t.table == name)
        .unwrap_or_else(|| panic!("no finding for {name}: {:?}", m.tables))
}

fn finds_exactly_janes_rows_by_their_paths(f: &Fixture) {
    let expected = f.janes_rows();
    // Jane has rows in every table of the dataset: a table the search missed shows.
    assert!(expected.values().all(|ids| !ids.is_empty()), "{expected:?}");

    let m = f.connector().find(&jane()).expect("find");

    assert!(m.actionable());
    assert!(!m.at_least);
    assert_eq!(found_counts(&m), expected_counts(&expected));
    // MariaDB's `_ci` PAD SPACE collation returns customer 6's "jd-1001" for "JD-1001"
    // and ticket 31's "jane.doe@example.com " for Jane's address: counted, never taken.
    // PostgreSQL and SQLite compare exactly and never return them.
    let look_alikes = if f.backend == Backend::MySql { 2 } else { 0 };
    assert_eq!(m.excluded, look_alikes);

    let customers = table(&m, "customers");
    assert!(!customers.weak_only);
    assert_eq!(customers.erase, "delete");
    for identity in ["email", "customer_number"] {
        assert!(
            customers.paths.iter().any(|p| p == identity),
            "customers reached by {identity}: {:?}",
            customers.paths
        );
    }
    for (child, path) in [
        ("addresses", "customers.id → addresses.customer_id"),
        ("orders", "customers.id → orders.customer_id"),
        ("order_items", "orders.id → order_items.order_id"),
        ("payments", "orders.id → payments.order_id"),
        ("invoices", "orders.id → invoices.order_id"),
    ] {
        let finding = table(&m, child);
        assert!(
            finding.paths.iter().any(|p| p == path),
            "{child} reached by {path}: {:?}",
            finding.paths
        );
    }
    // Tables no foreign key reaches are found by the email typed in them.
    for loose in ["support_tickets", "newsletter_subscriptions"] {
        assert_eq!(table(&m, loose).paths, ["email"]);
    }
    // The self-reference is not walked: whom Jane referred is not hers.
    assert!(!customers.paths.iter().any(|p| p.contains("referred_by")));

    let invoices = table(&m, "invoices");
    assert_eq!(invoices.erase, "update");
    let effect = |column: &str| {
        invoices
            .columns
            .iter()
            .find(|c| c.column == column)
            .unwrap_or_else(|| panic!("invoices.{column}: {:?}", invoices.columns))
    };
    assert_eq!(effect("billing_name").effect, "hmac");
    assert_eq!(effect("billing_address").effect, "fixed");
    let amount = effect("amount");
    assert_eq!(amount.effect, "keep");
    assert!(amount
        .reason
        .as_deref()
        .is_some_and(|r| r.contains("tax law")));
}
every_backend!(finds_exactly_janes_rows_by_their_paths);
