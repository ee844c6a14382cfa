//! kill -9 during intake under load: no acknowledged request and no email is lost.

use super::*;

const CLIENTS: usize = 8;

#[derive(Debug, Clone)]
struct Attempt {
    key: String,
    email: String,
}

#[test]
fn kill_9_during_intake_loses_no_acknowledged_request_and_no_email() {
    for backend in backends() {
        let work = tempfile::tempdir().expect("tempdir");
        let db = rel_database(&backend);
        let portal = Portal::start(work.path(), &db, &[], &[]);
        let url = portal.url("/api/v1/requests");

        let acked: Arc<Mutex<Vec<(Attempt, String)>>> = Arc::default();
        // Sent, but no answer arrived (in flight at the kill, or refused by the dead port).
        let unsettled: Arc<Mutex<Vec<Attempt>>> = Arc::default();
        let refused: Arc<Mutex<Vec<(Attempt, u16)>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let clients: Vec<JoinHandle<()>> = (0..CLIENTS)
            .map(|t| {
                let (url, stop) = (url.clone(), stop.clone());
                let (acked, unsettled, refused) =
                    (acked.clone(), unsettled.clone(), refused.clone());
                std::thread::spawn(move || {
                    let client = blocking_client();
                    for i in 0.. {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let attempt = Attempt {
                            key: format!("rel-kill-{t}-{i}"),
                            email: format!("kill-{t}-{i}@example.com"),
                        };
                        let body = intake_body("access", "eu", &attempt.email);
                        match post_intake(&client, &url, &attempt.key, &body) {
                            Ok((s, v)) if (200..300).contains(&s) => {
                                let reference = v["reference"].as_str().expect("ref").to_string();
                                acked.lock().unwrap().push((attempt, reference));
                            }
                            Ok((s, _)) => refused.lock().unwrap().push((attempt, s)),
                            Err(_) => {
                                unsettled.lock().unwrap().push(attempt);
                                break;
                            }
                        }
                    }
                })
            })
            .collect();
        // Under load for a while, with a fair number acknowledged, then SIGKILL.
        let load_started = Instant::now();
        rel_wait("the load is under way", Duration::from_secs(120), || {
            (acked.lock().unwrap().len() >= 30 && load_started.elapsed() >= Duration::from_secs(1))
                .then_some(())
        });
        portal.kill_9();
        stop.store(true, Ordering::SeqCst);
        for c in clients {
            c.join().expect("client thread");
        }
        let acked = acked.lock().unwrap().clone();
        let unsettled = unsettled.lock().unwrap().clone();
        let refused = refused.lock().unwrap().clone();
        assert!(
            unsettled.len() <= CLIENTS,
            "at most one open request per client"
        );

        // The database as the kill left it (nothing runs on it now).
        let state = local_state(work.path(), &db, Vec::new());
        let mut c = conn(&state);
        let stored: BTreeMap<String, String> = requests::table
            .select((requests::submission_key, requests::reference))
            .load::<(String, String)>(&mut *c)
            .expect("requests")
            .into_iter()
            .collect();
        let hash = |a: &Attempt| dsar_portal::crypto::tokens::hash(&format!("api:{}", a.key));
        for (a, reference) in &acked {
            assert_eq!(
                stored.get(&hash(a)),
                Some(reference),
                "acknowledged {} is stored ({})",
                a.key,
                backend.name()
            );
        }
        let in_flight: BTreeSet<String> = unsettled.iter().map(hash).collect();
        let acked_keys: BTreeSet<String> = acked.iter().map(|(a, _)| hash(a)).collect();
        for key in stored.keys() {
            assert!(
                acked_keys.contains(key) || in_flight.contains(key),
                "every stored request was acknowledged or in flight at the kill ({})",
                backend.name()
            );
        }
        assert!(
            refused.iter().all(|(a, _)| !stored.contains_key(&hash(a))),
            "a refused request is not stored: {refused:?}"
        );
        assert!(
            stored.len() >= acked.len() && stored.len() <= acked.len() + unsettled.len(),
            "{} stored, {} acknowledged, {} in flight",
            stored.len(),
            acked.len(),
            unsettled.len()
        );
        assert!(
            audit_chain_holds(&mut c),
            "the audit chain survives the kill"
        );
        // Emails the dead worker had claimed wait for their 5-minute lease: let it lapse
        // now rather than wait (one of them may already have been written: at least once).
        let stuck =
            diesel::update(
                outbox::table
                    .filter(outbox::status.eq("pending"))
                    .filter(outbox::claimed_until.is_not_null()),
            )
            .set(outbox::claimed_until.eq(
                chrono::NaiveDate::from_ymd_opt(2000, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)),
            ))
            .execute(&mut *c)
            .expect("lapse leases");
        drop(c);
        eprintln!(
            "{}: {} acknowledged, {} in flight, {} refused, {stuck} emails claimed at the kill",
            backend.name(),
            acked.len(),
            unsettled.len(),
            refused.len()
        );

        // Restart on the same data. Clients retry what they got no answer for, with the
        // same Idempotency-Key: nothing is stored twice.
        let portal = Portal::start(work.path(), &db, &[], &[]);
        let url = portal.url("/api/v1/requests");
        let client = blocking_client();
        for a in &unsettled {
            let (s, v) = post_intake(
                &client,
                &url,
                &a.key,
                &intake_body("access", "eu", &a.email),
            )
            .expect("the restarted portal answers");
            assert_eq!(s, 202, "{v}");
        }
        let (first, reference) = &acked[0];
        let (s, v) = post_intake(
            &client,
            &url,
            &first.key,
            &intake_body("access", "eu", &first.email),
        )
        .expect("retry");
        assert_eq!(
            (s, v["reference"].as_str()),
            (202, Some(reference.as_str()))
        );
        let mut c = conn(&state);
        let total: i64 = requests::table.count().get_result(&mut *c).expect("count");
        assert_eq!(
            total as usize,
            acked.len() + unsettled.len(),
            "exactly one request per client request ({})",
            backend.name()
        );

        // Every request has exactly one verification email, and it goes out.
        let per_request: Vec<(Option<String>, i64)> = outbox::table
            .filter(outbox::template.eq("verify_email"))
            .group_by(outbox::request_id)
            .select((outbox::request_id, diesel::dsl::count_star()))
            .load(&mut *c)
            .expect("outbox");
        assert_eq!(per_request.len() as i64, total);
        assert!(per_request.iter().all(|(_, n)| *n == 1), "{per_request:?}");
        drop(c);
        rel_wait("the outbox is empty", Duration::from_secs(120), || {
            let mut c = conn(&state);
            let pending: i64 = outbox::table
                .filter(outbox::status.ne("sent"))
                .count()
                .get_result(&mut *c)
                .expect("count");
            (pending == 0).then_some(())
        });
        let mail_dir = work.path().join("data").join("mail");
        let to = eml_recipients(&mail_dir);
        let wanted: BTreeSet<&str> = acked
            .iter()
            .map(|(a, _)| a.email.as_str())
            .chain(unsettled.iter().map(|a| a.email.as_str()))
            .collect();
        let got: BTreeSet<&str> = to.iter().map(String::as_str).collect();
        assert!(
            wanted.is_subset(&got),
            "every person got their link ({})",
            backend.name()
        );
        let files = eml_count(&mail_dir);
        assert!(
            files >= wanted.len() && files <= wanted.len() + stuck,
            "{files} emails for {} requests; {stuck} were claimed at the kill",
            wanted.len()
        );
        assert!(audit_chain_holds(&mut conn(&state)));
        drop(portal);
    }
}
