//! Intakes committed by several group-commit writers at once (PostgreSQL runs one per four
//! pooled connections), beside staff-side audited changes that take the audit lock
//! first: every acknowledged request is stored once, a retried submission gets the first
//! one's answer, and the audit chain is still one unbroken order.

use super::*;
use dsar_portal::db::schema::open_request_counts;

const DISTINCT: usize = 120;
const RETRIED: usize = 20;
const STAFF_CHANGES: usize = 40;

#[actix_web::test]
async fn parallel_batches_keep_one_audit_chain_and_retries_find_their_request() {
    for backend in backends() {
        let app = spawn_app_with(&backend, |s| {
            s.database_pool_size = 16;
            s.rate_limits.enabled = false;
            s.limits.requests_per_client = 1024;
        })
        .await;
        let url = app.url("/api/v1/requests");
        let post = |key: String, email: String| {
            let (client, url) = (app.client.clone(), url.clone());
            async move {
                let r = client
                    .post(&url)
                    .header("Idempotency-Key", &key)
                    .json(&intake_body("access", "california", &email))
                    .send()
                    .await
                    .expect("POST");
                let status = r.status().as_u16();
                let text = r.text().await.expect("body");
                let body = serde_json::from_str::<Json>(&text)
                    .unwrap_or_else(|_| panic!("{status} without JSON: {text}"));
                (key, status, body)
            }
        };
        let mut calls = Vec::new();
        for n in 0..DISTINCT {
            calls.push(post(
                format!("distinct-{n}"),
                format!("person-{n}@example.com"),
            ));
        }
        // The same submission sent twice at once, as a client retrying too early does.
        for n in 0..RETRIED {
            for _ in 0..2 {
                calls.push(post(
                    format!("retried-{n}"),
                    format!("retry-{n}@example.com"),
                ));
            }
        }
        // Requests staff will move on while the intakes run.
        let mut earlier = Vec::new();
        for n in 0..STAFF_CHANGES {
            let (key, status, body) =
                post(format!("earlier-{n}"), format!("earlier-{n}@example.com")).await;
            assert_eq!(status, 202, "{key}: {body}");
            earlier.push(body["reference"].as_str().expect("reference").to_string());
        }
        // Staff-side changes meanwhile, each in its own transaction holding the audit
        // lock from its first statement, and changing a request's status (which moves
        // the open counts the intakes' inserts move too).
        let state = app.state.clone();
        let staff = std::thread::spawn(move || {
            for reference in earlier {
                let mut c = conn(&state);
                dsar_portal::db::write_tx(&mut c, |c| {
                    diesel::update(requests::table.filter(requests::reference.eq(&reference)))
                        .set(requests::status.eq("verified"))
                        .execute(c)?;
                    dsar_portal::db::models::audit::append_portal_event(
                        c,
                        "staff:parallel",
                        "reply_template_added",
                        json!({"reference": reference}),
                        dsar_portal::clock::now(),
                    )
                })
                .expect("staff change");
            }
        });
        let answers = futures_util::future::join_all(calls).await;
        staff.join().expect("staff thread");

        let mut references: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (key, status, body) in &answers {
            assert_eq!(*status, 202, "{}: {key}: {body}", app.backend);
            let reference = body["reference"].as_str().expect("reference").to_string();
            references.entry(key.clone()).or_default().insert(reference);
        }
        for (key, refs) in &references {
            assert_eq!(
                refs.len(),
                1,
                "{}: {key} answered with {refs:?}",
                app.backend
            );
        }
        let distinct: BTreeSet<&String> = references.values().flatten().collect();
        assert_eq!(distinct.len(), DISTINCT + RETRIED, "{}", app.backend);

        app.db(|c| {
            let stored: i64 = requests::table.count().get_result(c).expect("count");
            assert_eq!(
                stored as usize,
                DISTINCT + RETRIED + STAFF_CHANGES,
                "{}",
                app.backend
            );
            // The open counts the queue shows, kept by triggers, match the rows.
            let kept: Vec<(String, i64)> = open_request_counts::table
                .filter(open_request_counts::requests.gt(0))
                .order(open_request_counts::status.asc())
                .select((open_request_counts::status, open_request_counts::requests))
                .load(c)
                .expect("counts");
            let counted: Vec<(String, i64)> = requests::table
                .filter(requests::closed_at.is_null())
                .group_by(requests::status)
                .order(requests::status.asc())
                .select((requests::status, diesel::dsl::count_star()))
                .load(c)
                .expect("grouped");
            assert_eq!(kept, counted, "{}", app.backend);
            assert!(
                counted.contains(&("verified".to_string(), STAFF_CHANGES as i64)),
                "{}: {counted:?}",
                app.backend
            );
            let submitted: i64 = audit_events::table
                .filter(audit_events::action.eq("request_submitted"))
                .count()
                .get_result(c)
                .expect("count");
            assert_eq!(
                submitted, stored,
                "{}: one opening event per request",
                app.backend
            );
            let staff_events: i64 = audit_events::table
                .filter(audit_events::actor.eq("staff:parallel"))
                .count()
                .get_result(c)
                .expect("count");
            assert_eq!(staff_events, STAFF_CHANGES as i64, "{}", app.backend);
            let walked = dsar_portal::db::models::audit::verify_chain(c).expect("walk");
            let total: i64 = audit_events::table.count().get_result(c).expect("count");
            assert_eq!(walked, Ok(total), "{}: the chain breaks", app.backend);
        });
    }
}
