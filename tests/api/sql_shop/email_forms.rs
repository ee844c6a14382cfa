//! Emails match as the portal normalises them: the address asked for trimmed and case
//! folded, the stored one case folded (a stored value with spaces around it is a
//! look-alike, as on every backend); an address that merely looks like Jane's finds
//! its own owner.

use super::*;

fn an_email_typed_otherwise_finds_the_same_rows(f: &Fixture) {
    let expected = expected_counts(&f.janes_rows());
    let c = f.connector();
    for typed in [" JANE.DOE@example.COM", "jane.doe@EXAMPLE.com  "] {
        let m = c.find(&subject(&[("email", typed)])).expect("find");
        assert!(m.actionable(), "{typed:?}");
        assert_eq!(found_counts(&m), expected, "{typed:?}");
    }
}
every_backend!(an_email_typed_otherwise_finds_the_same_rows);

/// Customer 2 is another Jane Doe at example.org: her search finds her customer row,
/// order, ticket and subscription, and nothing of Jane's.
fn a_look_alike_email_finds_only_its_owner(f: &Fixture) {
    let c = f.connector();
    let m = c
        .find(&subject(&[("email", "jane.doe@example.org")]))
        .expect("find");
    let ids = exported_ids(&c.export(&m).expect("export"));
    assert_eq!(ids["customers"], [2]);
    assert_eq!(ids["orders"], [100]);
    assert_eq!(ids["support_tickets"], [33]);
    assert_eq!(ids["newsletter_subscriptions"], [44]);
    let janes = f.janes_rows();
    for (table, found) in &ids {
        let mine = janes.get(table).cloned().unwrap_or_default();
        assert!(
            found.iter().all(|id| !mine.contains(id)),
            "{table}: {found:?} has Jane's rows {mine:?}"
        );
    }
}
every_backend!(a_look_alike_email_finds_only_its_owner);
