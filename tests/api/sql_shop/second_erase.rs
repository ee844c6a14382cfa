//! A second erasure, from a fresh search, finds nothing and changes nothing.

use super::*;

fn a_second_erasure_changes_nothing(f: &Fixture) {
    let c = f.connector();
    let first = c.erase(&c.find(&jane()).expect("find")).expect("erase");
    assert!(first.deleted.values().sum::<u64>() > 0, "{first:?}");
    let after_first = f.snapshot();

    let again = c.find(&jane()).expect("find again");
    assert!(again.is_empty(), "{:?}", again.counts);
    assert!(!again.actionable());
    match c.erase(&again) {
        Ok(report) => {
            let touched: u64 = [&report.deleted, &report.changed, &report.detached]
                .iter()
                .flat_map(|m| m.values())
                .sum();
            assert_eq!(touched, 0, "{report:?}");
        }
        // Refusing to act on nothing is as good as doing nothing.
        Err(e) => assert_no_personal_data(&e.to_string()),
    }

    assert_eq!(f.snapshot(), after_first);
}
every_backend!(a_second_erasure_changes_nothing);
