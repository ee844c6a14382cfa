//! `dsar-portal bench-fill`, the hidden command that fills a database for the load
//! benchmark: the rows it writes must be ones the portal reads like its own — an
//! intact audit chain, values the portal decrypts, mail already sent, a working queue.

use crate::helpers::*;
use crate::process::run_cli;
use diesel::prelude::*;
use dsar_portal::db::schema::{outbox, request_identities, requests};

#[actix_web::test]
async fn bench_fill_writes_requests_the_portal_reads_as_its_own() {
    each_backend(|app| async move {
        let (ok, out) = run_cli(
            &app,
            &["bench-fill", "--requests", "40", "--open-share", "0.6"],
            None,
        );
        assert!(ok, "{out}");
        assert!(out.contains("40 request(s), 24 open"), "{out}");

        let (total, open): (i64, i64) = app.db(|c| {
            let total = requests::table.count().get_result(c).expect("count");
            let open = requests::table
                .filter(requests::closed_at.is_null())
                .count()
                .get_result(c)
                .expect("count");
            (total, open)
        });
        assert_eq!((total, open), (40, 24));
        let chain = app.db(|c| dsar_portal::db::models::audit::verify_chain(c).expect("walk"));
        let events = chain.expect("the audit chain verifies after the fill");
        assert!(
            events > 40,
            "at least one event per request, and the fill's own"
        );

        // Every email is sent with its body cleared: the worker has nothing to do.
        let (pending, uncleared): (i64, i64) = app.db(|c| {
            let pending = outbox::table
                .filter(outbox::status.ne("sent"))
                .count()
                .get_result(c)
                .expect("count");
            let uncleared = outbox::table
                .filter(outbox::body_cleared_at.is_null())
                .count()
                .get_result(c)
                .expect("count");
            (pending, uncleared)
        });
        assert_eq!((pending, uncleared), (0, 0));

        // Sealed with the portal's keys, and found by the portal's blind index.
        let (value, index): (String, Option<String>) = app.db(|c| {
            request_identities::table
                .filter(request_identities::kind.eq("email"))
                .select((
                    request_identities::value_enc,
                    request_identities::blind_index,
                ))
                .first(c)
                .expect("an email identity")
        });
        let email = app
            .state
            .cipher
            .decrypt(dsar_portal::db::models::identities::VALUE_CONTEXT, &value)
            .expect("decrypts with the portal's key");
        assert!(email.ends_with("@example.com"), "{email}");
        assert_eq!(
            index,
            Some(app.state.indexer.index("email", &email)),
            "blind index of the normalised email"
        );

        // The staff queue lists them.
        let reference: String = app.db(|c| {
            requests::table
                .filter(requests::closed_at.is_null())
                .order(requests::due_on.asc())
                .select(requests::reference)
                .first(c)
                .expect("an open request")
        });
        let staff = app.staff("admin").await;
        let (status, page) = staff.get("/staff").await;
        assert_eq!(status, 200);
        assert!(page.contains(&reference), "the most urgent is on the queue");

        let (ok, out) = run_cli(&app, &["bench-fill", "--open-share", "1.5"], None);
        assert!(!ok && out.contains("between 0 and 1"), "{out}");
        let (ok, out) = run_cli(&app, &["--help"], None);
        assert!(
            ok && !out.contains("bench-fill"),
            "kept out of --help: {out}"
        );
    })
    .await;
}
