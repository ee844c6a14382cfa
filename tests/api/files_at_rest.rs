//! What the portal leaves on disk: owner-only files and folders whatever the umask or
//! an existing folder's mode, `.eml` files that expire, and sent messages that keep
//! no body.

use crate::helpers::*;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, SystemTime};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[actix_web::test]
async fn a_loose_data_folder_still_gets_owner_only_files() {
    let app = spawn_app_with(&Backend::Sqlite, |s| {
        std::fs::set_permissions(&s.data_dir, std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
    })
    .await;
    app.file_and_verify("eu", "access", "modes@example.com")
        .await;
    let dir = app.data_dir.clone();
    assert_eq!(mode(&dir), 0o700, "the data folder is made owner-only");
    let db = dir.join("dsar-portal.sqlite3");
    for file in ["", "-wal", "-shm"] {
        let path = std::path::PathBuf::from(format!("{}{file}", db.display()));
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
    assert_eq!(mode(&dir.join("mail")), 0o700, "mail folder");
    let emls = eml_files(&dir.join("mail"));
    assert!(!emls.is_empty());
    for eml in emls {
        assert_eq!(mode(&eml), 0o600, "{}", eml.display());
    }
}

#[actix_web::test]
async fn eml_files_expire_and_sent_messages_keep_no_body() {
    for backend in backends() {
        let app = spawn_app(&backend).await;
        app.submit(
            "eu",
            &[
                ("kind", "access"),
                ("name", "Jane"),
                ("email", "body@example.com"),
            ],
        )
        .await;
        let mail = app
            .email_where("to verify", |m| m.text.contains("/verify/"))
            .await;
        let token = link_path(&mail.text, "/verify/");

        // The file is written just before its row is marked sent.
        wait_until_sent(&app, 1).await;
        // The sent message's row keeps no link and no address.
        let bodies = sent_messages(&app);
        assert_eq!(bodies.len(), 1, "{}", app.backend);
        assert!(!bodies[0].contains(&token), "{}", bodies[0]);
        assert!(!bodies[0].contains("body@example.com"), "{}", bodies[0]);

        // An .eml file older than a week is deleted by housekeeping; a new one stays.
        let emls = eml_files(&app.data_dir.join("mail"));
        assert_eq!(emls.len(), 1);
        let old = SystemTime::now() - Duration::from_secs(8 * 86_400);
        std::fs::File::options()
            .write(true)
            .open(&emls[0])
            .expect("open")
            .set_modified(old)
            .expect("set mtime");
        app.submit(
            "eu",
            &[
                ("kind", "access"),
                ("name", "Jim"),
                ("email", "new@example.com"),
            ],
        )
        .await;
        app.email_where("the new one", |m| m.to == "new@example.com")
            .await;
        housekeeping(&app);
        let left = eml_files(&app.data_dir.join("mail"));
        assert_eq!(left.len(), 1, "{}", app.backend);
        assert_ne!(left[0], emls[0], "the week-old file went");
    }
}

/// The decrypted messages of the sent rows.
fn sent_messages(app: &TestApp) -> Vec<String> {
    let state = app.state.clone();
    app.db(move |c| {
        use diesel::prelude::*;
        use dsar_portal::db::schema::outbox;
        outbox::table
            .filter(outbox::status.eq("sent"))
            .select(outbox::message_enc)
            .load::<String>(c)
            .expect("outbox")
            .into_iter()
            .map(|e| {
                state
                    .cipher
                    .decrypt(dsar_portal::db::models::outbox::MESSAGE_CONTEXT, &e)
                    .expect("decrypts")
            })
            .collect()
    })
}

/// One housekeeping pass, off the test's runtime (it blocks on the database).
fn housekeeping(app: &TestApp) {
    let state = app.state.clone();
    std::thread::spawn(move || dsar_portal::jobs::housekeeping(&state))
        .join()
        .expect("housekeeping");
}

async fn wait_until_sent(app: &TestApp, n: i64) {
    for _ in 0..100 {
        if app.count("outbox WHERE status = 'sent'") == n {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{n} messages were not marked sent ({})", app.backend);
}

#[actix_web::test]
async fn a_sent_message_keeps_its_body_for_the_configured_days_and_then_only_the_stub() {
    for backend in backends() {
        let app = spawn_app_with(&backend, |s| s.mail.keep_sent_bodies_days = 3).await;
        app.submit(
            "eu",
            &[
                ("kind", "access"),
                ("name", "Jane"),
                ("email", "kept@example.com"),
            ],
        )
        .await;
        let mail = app
            .email_where("to verify", |m| m.text.contains("/verify/"))
            .await;
        let token = link_path(&mail.text, "/verify/");
        wait_until_sent(&app, 1).await;

        // Within the days: the whole message, links and address, is still there.
        housekeeping(&app);
        let kept = sent_messages(&app);
        assert!(kept[0].contains(&token), "{}", app.backend);
        assert!(kept[0].contains("kept@example.com"));
        assert_eq!(app.count("outbox WHERE body_cleared_at IS NOT NULL"), 0);

        // Four days after it was sent, housekeeping leaves the stub only.
        let sent_at =
            (dsar_portal::clock::now() - chrono::Duration::days(4)).format("%Y-%m-%d %H:%M:%S");
        app.exec(&format!("UPDATE outbox SET sent_at = '{sent_at}'"));
        housekeeping(&app);
        let stub = sent_messages(&app);
        assert!(!stub[0].contains(&token), "{}", stub[0]);
        assert!(!stub[0].contains("kept@example.com"), "{}", stub[0]);
        assert!(
            stub[0].contains("\"to_masked\":\"k***@e***.com\""),
            "{}",
            stub[0]
        );
        assert!(stub[0].contains("\"message_id\":\"<"), "{}", stub[0]);
        assert_eq!(app.count("outbox WHERE body_cleared_at IS NOT NULL"), 1);
        assert_eq!(
            app.count("outbox WHERE template = 'verify_email' AND request_id IS NOT NULL"),
            1,
            "the template and the request stay"
        );

        // The request and its trail are untouched: staff still open it.
        let (id, reference): (String, String) = app.db(|c| {
            use diesel::prelude::*;
            use dsar_portal::db::schema::requests as r;
            r::table
                .select((r::id, r::reference))
                .first(c)
                .expect("the request")
        });
        let handler = app.staff("handler").await;
        let (s, page) = handler.get(&format!("/staff/requests/{id}")).await;
        assert_eq!(s, 200);
        assert!(page.contains(&reference));
    }
}

#[actix_web::test]
async fn a_new_sqlite_file_gives_its_free_pages_back() {
    let app = spawn_app(&Backend::Sqlite).await;
    let pragma = |app: &TestApp, name: &str| -> i64 {
        use diesel::sql_types::BigInt;
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        app.db(|c| {
            diesel::sql_query(format!("SELECT {name} AS n FROM pragma_{name}()"))
                .get_result::<N>(c)
                .expect("pragma")
                .n
        })
    };
    assert_eq!(pragma(&app, "auto_vacuum"), 2, "INCREMENTAL");
    // Pages freed as a burst of sent bodies would free them (4,000 bytes a row, a page
    // each). The worker's own pass may run meanwhile; either way the end is the same.
    app.exec(
        "CREATE TABLE filler AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 \
         FROM n WHERE i < 2000) SELECT i, randomblob(4000) AS body FROM n;",
    );
    let full = pragma(&app, "page_count");
    app.exec("DROP TABLE filler;");
    housekeeping(&app);
    let slack = dsar_portal::db::free_pages::SLACK_PAGES;
    assert_eq!(
        pragma(&app, "freelist_count"),
        slack,
        "free pages beyond the slack went"
    );
    assert!(
        pragma(&app, "page_count") <= full - 2000 + slack,
        "the file shrank"
    );
}
