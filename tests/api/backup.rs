//! Backups and a tested restore: requests filed, a backup taken while the portal serves
//! (`dsar-portal backup` on SQLite, pg_dump on PostgreSQL), restored into a fresh place,
//! and a portal started there with the same keys serves the same requests.

use crate::helpers::*;
use crate::process::run_cli;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// One filed request as the tests find it again.
pub struct FiledRequest {
    pub email: String,
    pub status_page: String,
    pub id: String,
    pub reference: String,
}

pub struct Filed {
    pub requests: Vec<FiledRequest>,
}

/// Files `n` verified requests, each with a staff note, so that identities, details,
/// outbox messages and notes all hold encrypted values.
pub async fn file_requests(app: &TestApp, n: usize, tag: &str) -> Filed {
    let handler = app.staff("handler").await;
    let mut requests = Vec::new();
    for i in 0..n {
        let email = format!("{tag}-{i}@example.com");
        let status = app.file_and_verify("eu", "access", &email).await;
        let reference = status_reference(app, &status).await;
        let id = app.request_id(&reference);
        let (s, _) = handler
            .act(
                &id,
                &[("action", "note"), ("body", "Called the archive team")],
            )
            .await;
        assert_eq!(s, 303);
        requests.push(FiledRequest {
            email,
            status_page: status,
            id,
            reference,
        });
    }
    Filed { requests }
}

/// The reference a status page shows (`DSR-…`).
async fn status_reference(app: &TestApp, status: &str) -> String {
    let (s, page) = app.get(status).await;
    assert_eq!(s, 200, "{page}");
    let start = page.find("DSR-").expect("a reference on the status page");
    page[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// Checks that `app` serves every filed request: the consumer's status page, and the
/// staff request page with the decrypted email and note.
pub async fn serves_the_same_requests(app: &TestApp, filed: &Filed) {
    let staff = Staff::anonymous(app);
    let (s, _) = staff.login(&first_handler(app), STAFF_PASSWORD).await;
    assert_eq!(s, 303, "the staff account came along");
    for r in &filed.requests {
        let (s, page) = app.get(&r.status_page).await;
        assert_eq!(s, 200, "{page}");
        assert!(page.contains(&r.reference), "{page}");
        let (s, page) = staff.get(&format!("/staff/requests/{}", r.id)).await;
        assert_eq!(s, 200, "{page}");
        assert!(page.contains(r.email.as_str()), "the email decrypts");
        assert!(
            page.contains("Called the archive team"),
            "the note decrypts"
        );
    }
}

/// The handler account `file_requests` created (the only `handler-…` address).
fn first_handler(app: &TestApp) -> String {
    use diesel::prelude::*;
    use dsar_portal::db::schema::staff;
    app.db(|c| {
        staff::table
            .filter(staff::email.like("handler-%"))
            .select(staff::email)
            .first(c)
            .expect("a handler")
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}

#[actix_web::test]
async fn a_backup_taken_while_serving_restores_into_a_portal_that_serves_the_same_requests() {
    for backend in backends() {
        let app = spawn_app(&backend).await;
        let filed = file_requests(&app, 3, "backup").await;
        let restore = tempfile::tempdir().expect("tempdir");
        let backup = restore.path().join("portal-backup.sqlite3");
        let mut restored_db = None;
        if let Backend::Postgres(admin) = &backend {
            // `dsar-portal backup` names the pg_dump command instead of running it.
            let (ok, out) = run_cli(&app, &["backup", "--to", "x.dump"], None);
            assert!(!ok, "{out}");
            assert!(out.contains("pg_dump --format=custom"), "{out}");
            assert!(!out.contains("postgres@"), "no credentials in the message");
            // The commands docs/DEPLOYMENT.md gives, against the live database.
            let url = app.state.settings.database_url.clone().expect("pg url");
            let dump = restore.path().join("portal.dump");
            let status = Command::new("pg_dump")
                .args(["--format=custom", "--no-owner", "--file"])
                .arg(&dump)
                .arg(&url)
                .status()
                .expect("pg_dump runs");
            assert!(status.success());
            let (fresh_url, name) = fresh_postgres_database(admin);
            let status = Command::new("pg_restore")
                .args(["--no-owner", "--exit-on-error", "--dbname"])
                .arg(&fresh_url)
                .arg(&dump)
                .status()
                .expect("pg_restore runs");
            assert!(status.success());
            restored_db = Some((fresh_url, name, admin.clone()));
        } else {
            // Writers keep going while the backup runs: it must still be consistent.
            let writer = {
                let state = app.state.clone();
                std::thread::spawn(move || {
                    for _ in 0..20 {
                        dsar_portal::jobs::housekeeping(&state);
                    }
                })
            };
            let (ok, out) = run_cli(
                &app,
                &["backup", "--to", backup.to_str().expect("utf8")],
                None,
            );
            writer.join().expect("writer");
            assert!(ok, "{out}");
            assert!(out.contains("backup written"), "{out}");
            assert!(out.contains("3 request(s)"), "{out}");
            let mode = std::fs::metadata(&backup)
                .expect("backup")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "the backup is private");
            let (ok, out) = run_cli(
                &app,
                &["backup", "--to", backup.to_str().expect("utf8")],
                None,
            );
            assert!(
                !ok && out.contains("already exists"),
                "never overwrites: {out}"
            );
        }

        // Restore: a fresh data folder with the keys and the database copy.
        let data = restore.path().join("data");
        copy_dir(&app.data_dir.join("keys"), &data.join("keys"));
        if restored_db.is_none() {
            std::fs::copy(&backup, data.join("dsar-portal.sqlite3")).expect("restore copy");
        }
        let url = restored_db.as_ref().map(|(u, _, _)| u.clone());
        let data_dir = data.clone();
        let restored = rel_spawn_second(&app, move |s| {
            s.data_dir = data_dir;
            s.database_url = url;
        })
        .await;
        serves_the_same_requests(&restored, &filed).await;
        assert_eq!(restored.count("requests"), 3);
        drop(restored);
        if let Some((_, name, admin)) = restored_db {
            drop_postgres_database(&admin, &name);
        }
    }
}
