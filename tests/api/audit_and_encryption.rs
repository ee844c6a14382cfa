//! What is stored: personal data encrypted at rest, an audit trail whose chain breaks
//! visibly when a row is altered.

use crate::helpers::*;

#[actix_web::test]
async fn personal_data_is_not_stored_in_plaintext() {
    each_backend(|app| async move {
        let email = "unique.person@example.com";
        let name = "Zebulon Quartermaine";
        let (status, _) = app
            .submit(
                "eu",
                &[
                    ("kind", "correction"),
                    ("name", name),
                    ("email", email),
                    ("id_account_id", "ACCT-778899"),
                    ("correction_requested", "Zebulon Q. Smith"),
                ],
            )
            .await;
        assert_eq!(status, 200);
        app.emails(1).await;
        // Every text column of every table, as the database returns it.
        let dump: String = app.db(|c| {
            use diesel::prelude::*;
            use dsar_portal::db::schema::*;
            let mut all = String::new();
            for (a, b) in request_identities::table
                .select((
                    request_identities::value_enc,
                    request_identities::blind_index,
                ))
                .load::<(String, Option<String>)>(c)
                .expect("ids")
            {
                all += &a;
                all += &b.unwrap_or_default();
            }
            for d in requests::table
                .select(requests::details_enc)
                .load::<Option<String>>(c)
                .expect("req")
            {
                all += &d.unwrap_or_default();
            }
            for m in outbox::table
                .select(outbox::message_enc)
                .load::<String>(c)
                .expect("outbox")
            {
                all += &m;
            }
            for d in audit_events::table
                .select(audit_events::detail)
                .load::<String>(c)
                .expect("audit")
            {
                all += &d;
            }
            all
        });
        for secret in [email, name, "ACCT-778899", "Zebulon"] {
            assert!(
                !dump.contains(secret),
                "{secret} found in plaintext ({})",
                app.backend
            );
        }
        // On SQLite, the database files themselves hold no plaintext either.
        if app.backend == "sqlite" {
            for entry in std::fs::read_dir(&app.data_dir).expect("dir").flatten() {
                if entry.path().is_file() {
                    let bytes = std::fs::read(entry.path()).expect("read");
                    let hay = String::from_utf8_lossy(&bytes);
                    assert!(
                        !hay.contains(email) && !hay.contains(name),
                        "{:?}",
                        entry.path()
                    );
                }
            }
        }
        // And the blind index still finds the request by email, in any letter case.
        let found = app.db(|c| {
            let index = app
                .state
                .indexer
                .index("email", "unique.person@example.com");
            dsar_portal::db::models::identities::requests_with_index(c, &index).expect("lookup")
        });
        assert_eq!(found.len(), 1);
    })
    .await;
}

#[actix_web::test]
async fn the_audit_chain_verifies_and_shows_tampering() {
    each_backend(|app| async move {
        app.file_and_verify("eu", "access", "jane@example.com")
            .await;
        app.file_and_verify("california", "deletion", "jim@example.com")
            .await;
        let result = app.db(|c| dsar_portal::db::models::audit::verify_chain(c).expect("walk"));
        assert_eq!(
            result,
            Ok(6),
            "first admin + five request events, chain intact"
        );
        let actions: Vec<String> = app.db(|c| {
            use diesel::prelude::*;
            use dsar_portal::db::schema::audit_events::dsl::*;
            audit_events
                .order(seq.asc())
                .select(action)
                .load(c)
                .expect("load")
        });
        assert_eq!(
            actions,
            [
                "staff_added",
                "request_submitted",
                "email_verified",
                "request_submitted",
                "email_verified",
                // The CCPA acknowledgement, given at confirmation.
                "acknowledged"
            ]
        );

        app.exec("UPDATE audit_events SET detail = '{}' WHERE seq = 3");
        let result = app.db(|c| dsar_portal::db::models::audit::verify_chain(c).expect("walk"));
        assert_eq!(result, Err(3), "first broken link named");
    })
    .await;
}
