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
        for _ in 0..100 {
            if app.count("outbox WHERE status = 'sent'") == 1 {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        // The sent message's row keeps no link and no address.
        let cipher_state = app.state.clone();
        let bodies: Vec<String> = app.db(move |c| {
            use diesel::prelude::*;
            use dsar_portal::db::schema::outbox;
            outbox::table
                .filter(outbox::status.eq("sent"))
                .select(outbox::message_enc)
                .load::<String>(c)
                .expect("outbox")
                .into_iter()
                .map(|e| {
                    cipher_state
                        .cipher
                        .decrypt("outbox.message", &e)
                        .expect("decrypts")
                })
                .collect()
        });
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
        let state = app.state.clone();
        std::thread::spawn(move || dsar_portal::jobs::housekeeping(&state))
            .join()
            .expect("housekeeping");
        let left = eml_files(&app.data_dir.join("mail"));
        assert_eq!(left.len(), 1, "{}", app.backend);
        assert_ne!(left[0], emls[0], "the week-old file went");
    }
}
