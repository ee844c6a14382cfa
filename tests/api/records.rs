//! `dsar-portal records export`: the CCPA §7101 record as CSV, run as a real process
//! against requests filed through every channel, worked, and purged by retention.

use crate::helpers::*;
use crate::process::cli_output;
use chrono::{Duration, Months, NaiveDate};
use diesel::prelude::*;
use dsar_portal::db::schema::{audit_events, requests};
use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;

const WEB_EMAIL: &str = "wendy.web@example.com";
const DENIED_EMAIL: &str = "dennis.denied@example.com";
const API_EMAIL: &str = "april.api@example.com";
const AGENT_EMAIL: &str = "avery@agents.example";
const CONSUMER_EMAIL: &str = "connie@example.com";
const PHONE_EMAIL: &str = "paula.phone@example.net";
const OLD_EMAIL: &str = "olga.old@example.com";
const NAMES: &[&str] = &[
    "Jane Doe",
    "April Api",
    "Avery Agentson",
    "Connie Consumer",
    "Paula Phone",
];
const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

/// `records export` on the app's database; returns (success, stdout, stderr).
fn records_cli(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let args: Vec<&str> = ["records", "export"].iter().chain(args).copied().collect();
    let out = cli_output(app, &args, None);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The CSV as maps from column name to value, keyed by reference.
fn parse(csv_text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header = reader.headers().expect("header").clone();
    assert_eq!(
        header.iter().collect::<Vec<_>>(),
        dsar_portal::ops::records::HEADER
    );
    reader
        .records()
        .map(|row| {
            let row: HashMap<String, String> = header
                .iter()
                .zip(row.expect("row").iter())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            (row["reference"].clone(), row)
        })
        .collect()
}

/// The id of the request filed since `seen` was taken (and adds it to `seen`).
fn newest(app: &TestApp, seen: &mut Vec<String>) -> String {
    let all: Vec<String> = app.db(|c| requests::table.select(requests::id).load(c).expect("ids"));
    let new: Vec<String> = all.into_iter().filter(|id| !seen.contains(id)).collect();
    assert_eq!(new.len(), 1, "one new request");
    seen.push(new[0].clone());
    new[0].clone()
}

async fn file_by_api(app: &TestApp) {
    let r = app
        .client
        .post(app.url("/api/v1/requests"))
        .json(
            &serde_json::json!({"kind": "access", "jurisdiction": "california",
            "name": "April Api", "email": API_EMAIL}),
        )
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status().as_u16(), 202);
}

/// An agent holding a power of attorney files a deletion through the web form.
async fn file_as_agent(app: &TestApp) {
    let (_, page) = app
        .get("/requests/new?jurisdiction=california&kind=deletion")
        .await;
    let fields = [
        ("jurisdiction", "california"),
        ("kind", "deletion"),
        ("name", "Connie Consumer"),
        ("email", CONSUMER_EMAIL),
        ("agent", "yes"),
        ("agent_name", "Avery Agentson"),
        ("agent_email", AGENT_EMAIL),
        ("agent_authority", "power_of_attorney"),
    ];
    let (status, body) = post_request_form_multipart(
        &app.client,
        &app.url("/requests"),
        &page,
        &fields,
        Some(("poa.pdf", PDF)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

/// Staff enter a request received by phone ten days ago.
async fn enter_phone_request(staff: &Staff, received_on: NaiveDate) {
    const PAGE: &str = "/staff/requests/new";
    let (_, page) = staff.get(PAGE).await;
    let sid = hidden(&page, "submission_id");
    let received = received_on.to_string();
    let fields = [
        ("submission_id", sid.as_str()),
        ("channel", "phone"),
        ("received_on", received.as_str()),
        ("jurisdiction", "california"),
        ("kind", "correction"),
        ("name", "Paula Phone"),
        ("email", PHONE_EMAIL),
        ("details", "Her postal address is wrong."),
        ("verify", "email"),
    ];
    let (status, body) = staff.post(PAGE, PAGE, &fields).await;
    assert_eq!(status, 303, "{body}");
}

#[actix_web::test]
async fn the_record_lists_every_channel_without_personal_data() {
    each_backend(|app| async move {
        let handler = app.staff("handler").await;
        let today = dsar_portal::clock::now().date();
        let mut seen = Vec::new();

        app.file_and_verify("california", "access", WEB_EMAIL).await;
        let fulfilled = newest(&app, &mut seen);
        handler.verify_and_fulfil(&fulfilled).await;

        app.file_and_verify("california", "deletion", DENIED_EMAIL)
            .await;
        let denied = newest(&app, &mut seen);
        let (s, page) = handler
            .act(
                &denied,
                &[
                    ("action", "deny"),
                    ("code", "exemption_legal_obligation"),
                    ("message", "Tax records."),
                ],
            )
            .await;
        assert_eq!(s, 303, "{page}");

        file_by_api(&app).await;
        let api = newest(&app, &mut seen);
        file_as_agent(&app).await;
        let agent = newest(&app, &mut seen);
        let phone_day = today - Duration::days(10);
        enter_phone_request(&handler, phone_day).await;
        let phone = newest(&app, &mut seen);
        // One more, received long before the range.
        let (s, _) = app
            .submit(
                "california",
                &[
                    ("kind", "access"),
                    ("name", "Jane Doe"),
                    ("email", OLD_EMAIL),
                ],
            )
            .await;
        assert_eq!(s, 200);
        let old = newest(&app, &mut seen);
        app.exec(&format!(
            "UPDATE requests SET received_at = '2020-01-15 10:00:00' WHERE id = '{old}'"
        ));

        // Retention, 30 months on, removes the personal data of the two closed requests;
        // their §7101 record stays.
        let later = dsar_portal::clock::now()
            .checked_add_months(Months::new(30))
            .expect("date");
        let purged = app.run_retention(later);
        assert_eq!(purged, 2);

        // Two requests received at the same instant: the keyset pages by (received_at, id).
        app.exec(&format!(
            "UPDATE requests SET received_at = (SELECT received_at FROM requests WHERE id = '{api}') \
             WHERE id = '{agent}'"
        ));

        let since = (today - Duration::days(30)).to_string();
        let (ok, csv_text, err) = records_cli(&app, &["--since", &since]);
        assert!(ok, "{err}");
        // Batches of one row give the same CSV, every row once, in the same order.
        let range = dsar_portal::ops::records::Range::new(today - Duration::days(30), None, today)
            .expect("range");
        let paged = app.db(move |c| {
            let mut out = Vec::new();
            let n = dsar_portal::ops::records::write_csv(c, &range, &mut out, 1, today)
                .expect("export");
            assert_eq!(n, 5);
            String::from_utf8(out).expect("utf-8")
        });
        assert_eq!(paged, csv_text);
        assert!(err.contains("exported 5 request(s)"), "{err}");
        for secret in [
            WEB_EMAIL,
            DENIED_EMAIL,
            API_EMAIL,
            AGENT_EMAIL,
            CONSUMER_EMAIL,
            PHONE_EMAIL,
            OLD_EMAIL,
        ]
        .iter()
        .chain(NAMES)
        {
            assert!(!csv_text.contains(secret), "{secret} in the record");
        }
        let rows = parse(&csv_text);
        assert_eq!(rows.len(), 5, "{csv_text}");
        let row = |id: &str| {
            let reference = app.request_field(id, "reference").expect("reference");
            rows.get(&reference)
                .unwrap_or_else(|| panic!("{reference} exported ({})", app.backend))
                .clone()
        };
        let today_s = today.to_string();

        let f = row(&fulfilled);
        assert_eq!(f["kind"], "access");
        assert_eq!(f["source"], "web_form");
        assert_eq!(f["via_agent"], "no");
        assert_eq!(
            (f["status"].as_str(), f["response"].as_str()),
            ("fulfilled", "fulfilled")
        );
        assert!(f["responded_at"].starts_with(&today_s), "{f:?}");
        assert!(f["received_at"].starts_with(&today_s));
        assert_eq!(f["regime"], "ccpa");
        assert_eq!(f["jurisdiction"], "california");
        assert_eq!(f["on_time"], "yes");
        assert_eq!(f["due_on"], (today + Duration::days(45)).to_string());
        assert_eq!(f["extended"], "no");
        assert_eq!(f["denial_code"], "");
        assert!(
            !f["personal_data_removed_at"].is_empty(),
            "purged, still listed"
        );

        let d = row(&denied);
        assert_eq!(
            (d["kind"].as_str(), d["response"].as_str()),
            ("deletion", "denied")
        );
        assert_eq!(d["denial_code"], "exemption_legal_obligation");
        assert!(d["denial_basis"].contains("law requires"), "{d:?}");
        assert!(!d["responded_at"].is_empty());
        assert!(!d["personal_data_removed_at"].is_empty());

        let a = row(&api);
        assert_eq!(
            (a["source"].as_str(), a["status"].as_str()),
            ("api", "submitted")
        );
        assert_eq!(
            (a["response"].as_str(), a["responded_at"].as_str()),
            ("", "")
        );
        assert_eq!(a["on_time"], "pending");
        assert_eq!(a["personal_data_removed_at"], "");

        let g = row(&agent);
        assert_eq!(
            (g["via_agent"].as_str(), g["agent_authority"].as_str()),
            ("yes", "power_of_attorney")
        );
        assert_eq!(g["kind"], "deletion");

        let p = row(&phone);
        assert_eq!(
            (p["source"].as_str(), p["kind"].as_str()),
            ("phone", "correction")
        );
        assert!(
            p["received_at"].starts_with(&phone_day.to_string()),
            "receipt date kept"
        );
        assert_eq!(p["due_on"], (phone_day + Duration::days(45)).to_string());

        // --until bounds the range; the old request alone falls in January 2020.
        let (ok, old_csv, err) =
            records_cli(&app, &["--since", "2020-01-01", "--until", "2020-01-31"]);
        assert!(ok, "{err}");
        let old_rows = parse(&old_csv);
        let old_ref = app.request_field(&old, "reference").expect("reference");
        assert_eq!(old_rows.keys().collect::<Vec<_>>(), vec![&old_ref]);
        assert_eq!(old_rows[&old_ref]["status"], "submitted");

        // To a file: mode 0600, the same rows, and never over an existing file.
        let file = app.data_dir.join("records.csv");
        let file_arg = file.to_str().expect("path");
        let (ok, _, err) = records_cli(&app, &["--since", &since, "--out", file_arg]);
        assert!(ok, "{err}");
        let mode = std::fs::metadata(&file).expect("file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(parse(&std::fs::read_to_string(&file).expect("read")), rows);
        let (ok, _, err) = records_cli(&app, &["--since", &since, "--out", file_arg]);
        assert!(!ok);
        assert!(err.contains("already exists"), "{err}");

        // Bad dates: a message and a failure, never a panic, and nothing audited.
        for (args, says) in [
            (vec!["--since", "2026-02-30"], "YYYY-MM-DD"),
            (vec!["--since", "yesterday"], "YYYY-MM-DD"),
            (
                vec!["--since", "2026-01-01", "--until", "01/02/2026"],
                "YYYY-MM-DD",
            ),
            (
                vec!["--since", "2026-02-01", "--until", "2026-01-01"],
                "is after --until",
            ),
            (vec![], "--since"),
        ] {
            let (ok, out, err) = records_cli(&app, &args);
            assert!(!ok, "{args:?} refused");
            assert!(out.is_empty(), "no CSV for {args:?}");
            assert!(err.contains(says), "{args:?}: {err}");
            assert!(!err.contains("panicked"), "{err}");
        }

        // Each export is audited once, by the command line, with its range and count.
        let events: Vec<(String, String)> = app.db(|c| {
            audit_events::table
                .filter(audit_events::action.eq("records_exported"))
                .order(audit_events::seq.asc())
                .select((audit_events::actor, audit_events::detail))
                .load(c)
                .expect("events")
        });
        assert_eq!(events.len(), 3, "{events:?}");
        let first: serde_json::Value = serde_json::from_str(&events[0].1).expect("json");
        assert_eq!(events[0].0, "cli");
        assert_eq!(first["rows"], 5);
        assert_eq!(first["since"], since);
        assert_eq!(first["until"], today_s);
        let second: serde_json::Value = serde_json::from_str(&events[1].1).expect("json");
        assert_eq!(
            (second["rows"].as_u64(), second["until"].as_str()),
            (Some(1), Some("2020-01-31"))
        );
    })
    .await;
}
