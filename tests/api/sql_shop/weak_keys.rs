//! A weak identity (a phone number a household shares) is shown but never acted on
//! alone: neither Jane's row nor her housemate's is exported or erased through it.

use super::*;

fn table_finding<'a>(m: &'a Matches, name: &str) -> &'a dsar_portal::connectors::TableFinding {
    m.tables
        .iter()
        .find(|t| t.table == name)
        .unwrap_or_else(|| panic!("no finding for {name}: {:?}", m.tables))
}

fn a_phone_alone_acts_on_nobody(f: &Fixture) {
    let before = f.snapshot();
    let c = f.connector();

    let m = c.find(&subject(&[("phone", JANE_PHONE)])).expect("find");

    assert!(!m.actionable());
    let customers = table_finding(&m, "customers");
    assert!(customers.weak_only);
    // Jane and her housemate John share the landline.
    assert_eq!(customers.rows, 2);
    if let Ok(records) = c.export(&m) {
        assert!(records.tables.values().all(Vec::is_empty), "{records:?}");
    }
    if let Ok(report) = c.erase(&m) {
        assert!(report.deleted.values().all(|n| *n == 0), "{report:?}");
        assert!(report.changed.values().all(|n| *n == 0), "{report:?}");
    }
    assert_eq!(f.snapshot(), before);
}
every_backend!(a_phone_alone_acts_on_nobody);

/// With her email and her phone, Jane's rows go and her housemate's, which only the
/// shared phone reaches, stay.
fn a_shared_phone_does_not_reach_the_housemate(f: &Fixture) {
    let before = f.snapshot();
    let janes = f.janes_rows();
    assert!(!janes["customers"].contains(&HOUSEMATE));
    let c = f.connector();
    let person = subject(&[("email", JANE_EMAIL), ("phone", JANE_PHONE)]);

    let m = c.find(&person).expect("find");
    assert_eq!(exported_ids(&c.export(&m).expect("export")), janes);
    c.erase(&m).expect("erase");

    super::erase::assert_erased_exactly(f, &before, &janes, &f.snapshot());
}
every_backend!(a_shared_phone_does_not_reach_the_housemate);
