//! `dsar-portal keys rotate`: interrupted after one batch, the portal still reads every
//! value (old and new key side by side); resumed, it finishes, deletes the old key file,
//! leaves every value readable with the new key alone, and audits start and end.

use crate::backup::{file_requests, serves_the_same_requests};
use crate::helpers::*;
use crate::process::run_cli;
use diesel::prelude::*;
use dsar_portal::crypto::{FieldCipher, Keys};
use dsar_portal::ops::key_rotation::{count_not_current, ENCRYPTED_COLUMNS};

/// Values of every encrypted column not sealed with `cipher`'s current key.
fn not_current(app: &TestApp, cipher: &FieldCipher) -> i64 {
    let prefix = cipher.current_prefix();
    app.db(|c| {
        ENCRYPTED_COLUMNS
            .iter()
            .map(|col| count_not_current(c, col, &prefix).expect("count"))
            .sum()
    })
}

/// Decrypts every stored value with `cipher`; returns how many there were.
fn decrypt_everything(app: &TestApp, cipher: &FieldCipher) -> usize {
    #[derive(diesel::QueryableByName)]
    struct V {
        #[diesel(sql_type = diesel::sql_types::Text)]
        v: String,
    }
    let mut n = 0;
    for col in ENCRYPTED_COLUMNS {
        let sql = format!(
            "SELECT {c} AS v FROM {t} WHERE {c} IS NOT NULL",
            c = col.column,
            t = col.table
        );
        let values: Vec<V> = app.db(|c| diesel::sql_query(sql).load(c).expect("values"));
        for value in values {
            cipher
                .decrypt(col.context, &value.v)
                .unwrap_or_else(|e| panic!("{}.{}: {e}", col.table, col.column));
            n += 1;
        }
    }
    n
}

fn audit_details(app: &TestApp, action: &'static str) -> Vec<String> {
    use dsar_portal::db::schema::audit_events as a;
    app.db(|c| {
        a::table
            .filter(a::action.eq(action))
            .select(a::detail)
            .load(c)
            .expect("audit")
    })
}

#[actix_web::test]
async fn rotation_interrupted_then_resumed_re_encrypts_everything_and_retires_the_old_key() {
    for backend in backends() {
        let app = spawn_app(&backend).await;
        let filed = file_requests(&app, 4, "rotate").await;
        let old = app.state.cipher.current_key_id().to_string();
        let keys_dir = app.data_dir.join("keys");
        let kept = keys_dir.join(format!("data.key.previous-{old}"));

        // Interrupted: one batch of two rows, then stop.
        let (ok, out) = run_cli(
            &app,
            &["keys", "rotate", "--batch-size", "2", "--max-batches", "1"],
            None,
        );
        assert!(!ok, "an unfinished rotation says so: {out}");
        assert!(out.contains("run `dsar-portal keys rotate` again"), "{out}");
        assert!(kept.exists(), "the old key is kept while values need it");
        let sources = app.state.settings.key_sources();
        let (keys, _) = Keys::load(&sources).expect("keys");
        let new = FieldCipher::new(&keys.data);
        assert_ne!(new.current_key_id(), old);
        let left = not_current(&app, &new);
        assert!(left > 0, "values remain under the old key");
        // Meanwhile a portal started on these keys reads old and new values alike.
        let middle = rel_spawn_second(&app, |_| {}).await;
        serves_the_same_requests(&middle, &filed).await;

        // Resumed: continues with the same new key and finishes.
        let (ok, out) = run_cli(&app, &["keys", "rotate", "--batch-size", "3"], None);
        assert!(ok, "{out}");
        assert!(out.contains("continuing the rotation"), "{out}");
        assert!(out.contains("rotation finished"), "{out}");
        assert!(out.contains(&old), "{out}");
        assert!(!kept.exists(), "the old key file is deleted");
        assert!(
            dsar_portal::crypto::keys::previous_data_key_files(&sources.data_file)
                .expect("list")
                .is_empty()
        );
        assert_eq!(not_current(&app, &new), 0);
        let values = decrypt_everything(&app, &new);
        assert!(
            values >= 4 * 3,
            "identities, details, notes, emails: {values}"
        );

        // Audited once at the start and once at the end, with key ids only.
        let started = audit_details(&app, "data_key_rotation_started");
        let finished = audit_details(&app, "data_key_rotation_finished");
        assert_eq!((started.len(), finished.len()), (1, 1));
        for d in started.iter().chain(&finished) {
            assert!(d.contains(&old) && !d.contains('@'), "{d}");
        }
        let (ok, out) = run_cli(&app, &["audit", "verify"], None);
        assert!(ok, "{out}");

        // A portal started on the rotated keys serves the same requests.
        let after = rel_spawn_second(&app, |_| {}).await;
        serves_the_same_requests(&after, &filed).await;

        // Rotating again starts a new rotation from the now-current key.
        let (ok, out) = run_cli(&app, &["keys", "rotate"], None);
        assert!(ok && out.contains("rotation finished"), "{out}");
        assert!(out.contains(new.current_key_id()), "{out}");
    }
}

/// Every `*_enc` column in the schema is listed for rotation, with its table's key.
#[test]
fn every_encrypted_column_is_rotated() {
    let schema = include_str!("../../src/db/schema.rs");
    let mut table = "";
    let mut found = Vec::new();
    for line in schema.lines() {
        let line = line.trim();
        if let Some((name, _)) = line.split_once(" (") {
            if !name.contains("->") && !name.contains(' ') {
                table = name;
            }
        }
        if let Some((column, _)) = line.split_once(" ->") {
            if column.ends_with("_enc") {
                found.push((table.to_string(), column.to_string()));
            }
        }
    }
    assert!(found.len() >= 15, "{found:?}");
    for (t, c) in &found {
        assert!(
            ENCRYPTED_COLUMNS
                .iter()
                .any(|e| e.table == t && e.column == c),
            "{t}.{c} is missing from ops::key_rotation::ENCRYPTED_COLUMNS"
        );
    }
}
