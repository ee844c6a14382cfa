//! SIGTERM: the portal stops promptly with success, leaves SQLite's WAL empty, and a job
//! it still held at the end of the grace is released and done by the next start.

use super::*;

impl Portal {
    /// Sends SIGTERM and waits at most `limit` for the exit; the exit status.
    fn terminate(mut self, limit: Duration) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "SIGTERM sent");
        rel_wait("the portal exits after SIGTERM", limit, || {
            self.child.try_wait().expect("wait")
        })
    }
}

fn wal_bytes(work: &Path) -> Option<u64> {
    let wal = work.join("data").join("dsar-portal.sqlite3-wal");
    std::fs::metadata(wal).ok().map(|m| m.len())
}

#[test]
fn sigterm_stops_the_portal_with_success_and_leaves_the_wal_empty() {
    for backend in backends() {
        let work = tempfile::tempdir().expect("tempdir");
        let db = rel_database(&backend);
        let portal = Portal::start(work.path(), &db, &[], &[]);
        // Something written and mailed first: the WAL holds it, the worker did a job.
        let body = intake_body("access", "eu", "sigterm@example.com");
        let (s, v) = post_intake(
            &blocking_client(),
            &portal.url("/api/v1/requests"),
            "rel-sigterm",
            &body,
        )
        .expect("intake");
        assert_eq!(s, 202, "{v}");
        let mail_dir = work.path().join("data").join("mail");
        rel_wait("the email is written", Duration::from_secs(60), || {
            eml_recipients(&mail_dir)
                .contains(&"sigterm@example.com".to_string())
                .then_some(())
        });
        if matches!(backend, Backend::Sqlite) {
            assert!(wal_bytes(work.path()).unwrap_or(0) > 0, "the WAL is in use");
        }

        // Idle: nothing to wait for. The bound only says "it did not hang".
        let status = portal.terminate(Duration::from_secs(10));
        assert!(status.success(), "{status:?}");
        if matches!(backend, Backend::Sqlite) {
            let wal = wal_bytes(work.path());
            assert!(
                wal.is_none_or(|n| n == 0),
                "the WAL is empty after a stop: {wal:?}"
            );
        }
    }
}

#[test]
fn an_email_held_at_sigterm_is_sent_after_the_next_start() {
    for backend in backends() {
        let work = tempfile::tempdir().expect("tempdir");
        let db = rel_database(&backend);
        // An SMTP server that accepts connections and never says a word.
        let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = silent.local_addr().expect("addr").port().to_string();
        let accepted: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        {
            let accepted = accepted.clone();
            std::thread::spawn(move || {
                for s in silent.incoming().flatten() {
                    accepted.lock().unwrap().push(s);
                }
            });
        }
        let portal = Portal::start(
            work.path(),
            &db,
            &[],
            &[
                ("DSAR_MAIL__SMTP__HOST", "127.0.0.1"),
                ("DSAR_MAIL__SMTP__PORT", &port),
                ("DSAR_MAIL__SMTP__TLS", "none"),
                // Longer than the grace at stop: the send is still waiting then.
                ("DSAR_MAIL__SMTP__TIMEOUT_SECONDS", "120"),
            ],
        );
        let body = intake_body("access", "eu", "held@example.com");
        let (s, v) = post_intake(
            &blocking_client(),
            &portal.url("/api/v1/requests"),
            "rel-held",
            &body,
        )
        .expect("intake");
        assert_eq!(s, 202, "{v}");
        // The worker claimed the message and is waiting for the server's greeting.
        rel_wait("the worker is sending", Duration::from_secs(60), || {
            (!accepted.lock().unwrap().is_empty()).then_some(())
        });

        // Busy: the worker's grace (7 s) runs out, then the process ends all the same.
        let status = portal.terminate(Duration::from_secs(30));
        assert!(status.success(), "{status:?}");
        let state = local_state(work.path(), &db, vec![]);
        let held: Vec<(String, Option<chrono::NaiveDateTime>)> = outbox::table
            .select((outbox::status, outbox::claimed_until))
            .load(&mut *conn(&state))
            .expect("outbox");
        assert!(
            held.iter()
                .any(|(status, lease)| status == "pending" && lease.is_none()),
            "the message is pending and its lease (5 minutes) released: {held:?}"
        );
        drop(state);

        // The next start (mail to files now) takes it up at once, not after the lease.
        let again = Portal::start(work.path(), &db, &[], &[]);
        let mail_dir = work.path().join("data").join("mail");
        rel_wait("the held email is sent", Duration::from_secs(60), || {
            eml_recipients(&mail_dir)
                .contains(&"held@example.com".to_string())
                .then_some(())
        });
        let status = again.terminate(Duration::from_secs(10));
        assert!(status.success(), "{status:?}");
    }
}
