//! An erasure that fails half-way leaves the database as it was: a trigger refuses one
//! of its steps, the run answers with an error that names nobody, and every row of
//! every table is what it was before.

use super::*;

fn refused_erasure_changes_nothing(f: &Fixture, trigger: Vec<String>) {
    f.db.execute(&trigger);
    let before = f.snapshot();
    let c = f.connector();
    let m = c.find(&jane()).expect("find");

    let err = c.erase(&m).expect_err("the trigger refuses the erasure");

    assert_no_personal_data(&err.to_string());
    assert_eq!(f.snapshot(), before);
    let again = c.find(&jane()).expect("find again");
    assert_eq!(found_counts(&again), found_counts(&m));
}

/// Updates run before deletions: the customers' detach and the orders' and payments'
/// updates may already have run when the invoices refuse.
fn a_refused_invoice_update_rolls_everything_back(f: &Fixture) {
    refused_erasure_changes_nothing(f, schema::failing_invoice_update(f.backend));
}
every_backend!(a_refused_invoice_update_rolls_everything_back);

/// Tickets are deleted among the last steps: almost everything else ran before.
fn a_refused_ticket_delete_rolls_everything_back(f: &Fixture) {
    refused_erasure_changes_nothing(f, schema::failing_ticket_delete(f.backend));
}
every_backend!(a_refused_ticket_delete_rolls_everything_back);
