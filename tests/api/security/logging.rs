//! No personal data, tokens, passwords or documents in the logs.

use super::*;

/// The body of the page at `url`, fetched with `client`'s cookies.
async fn page_text(client: &reqwest::Client, url: &str) -> String {
    client
        .get(url)
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("page")
}

/// Emails the binary wrote as `.eml` files.
async fn mails_in(dir: &std::path::Path, n: usize) -> Vec<Email> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mails: Vec<Email> = crate::helpers::eml_files(dir)
            .into_iter()
            .filter_map(|p| std::fs::read(p).ok())
            .map(|b| parse_email(&b))
            .collect();
        if mails.len() >= n || Instant::now() > deadline {
            assert!(
                mails.len() >= n,
                "expected {n} emails, found {}",
                mails.len()
            );
            return mails;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn mail_to(dir: &std::path::Path, to: &str, containing: &str) -> Email {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(m) = mails_in(dir, 0)
            .await
            .into_iter()
            .find(|m| m.to == to && m.text.contains(containing))
        {
            return m;
        }
        assert!(
            Instant::now() < deadline,
            "no email to {to} with {containing}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

/// base64(signature ‖ JSON), the DRP envelope.
fn drp_seal(key: &SigningKey, body: &Value) -> String {
    let json = body.to_string().into_bytes();
    let mut combined = key.sign(&json).to_bytes().to_vec();
    combined.extend_from_slice(&json);
    STANDARD.encode(combined)
}

fn drp_claims(agent: &str, business: &str) -> Value {
    let now = chrono::Utc::now();
    let ts =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    json!({"agent-id": agent, "business-id": business,
           "issued-at": ts(now - chrono::Duration::seconds(2)),
           "expires-at": ts(now + chrono::Duration::minutes(5)),
           "drp.version": "1.0"})
}

#[actix_web::test]
async fn a_whole_flow_at_debug_level_logs_no_personal_data_or_secrets() {
    for backend in backends() {
        run_logged_flow(&backend).await;
    }
}

async fn run_logged_flow(backend: &Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut pg = None;
    let database_line = match backend {
        Backend::Sqlite => String::new(),
        Backend::Postgres(admin) => {
            let (url, name) = fresh_postgres_database(admin);
            pg = Some((admin.clone(), name));
            format!("database_url = {url:?}\n")
        }
    };
    const ADMIN_EMAIL: &str = "root.admin@ops-secret.example";
    const BUSINESS: &str = "CB_LOGS";
    let config = dir.path().join("dsar-portal.toml");
    std::fs::write(
        &config,
        format!(
            "bind = \"127.0.0.1:0\"\ndata_dir = {data:?}\nlog = \"debug\"\n{database_line}\
             [organisation]\nname = \"Log Test Org\"\ncontact_email = \"privacy@logtest.example\"\n\
             [staff]\nfirst_admin_email = \"{ADMIN_EMAIL}\"\n\
             [rate_limits]\nenabled = false\n\
             [worker]\npoll_milliseconds = 50\n\
             [drp]\nbusiness_id = \"{BUSINESS}\"\n\
             [[identifiers]]\nname = \"account_id\"\nlabel = \"Account ID\"\n"
        ),
    )
    .expect("config");
    let server = Server::start(&config);
    let base = server.address().await;
    let banner = server.line_with("first admin :").await;
    let one_time = banner
        .rsplit(" / ")
        .next()
        .expect("password")
        .trim()
        .to_string();
    let mail_dir = data.join("mail");

    // Everything personal or secret the flow sends; none of it may be logged.
    let mut secrets: Vec<String> = vec![ADMIN_EMAIL.into(), one_time.clone(), DOC_MARKER.into()];
    const NEW_PASSWORD: &str = "Admins-Own-Passphrase-8841";
    const WRONG_PASSWORD: &str = "Guessed-Wrong-Password-1177";
    let consumer = [
        ("name", "Lorelei Logtest"),
        ("email", "lorelei.logtest@person.example"),
        ("id_account_id", "ACCT-7781-SECRET"),
        ("details", "Secret details about my account 5521"),
    ];
    secrets.extend(consumer.iter().map(|(_, v)| v.to_string()));
    secrets.extend(
        [
            NEW_PASSWORD,
            WRONG_PASSWORD,
            "Connie Confirmlog",
            "connie.confirmlog@person.example",
            "Agatha Agentlog",
            "agatha@agentlog.example",
            "Agentlog Org Secret",
            "REG-99-SECRET",
            "Apinya Apiperson",
            "apinya.api@person.example",
            "Drusilla Drplog",
            "drusilla.drp@person.example",
        ]
        .map(String::from),
    );

    let browser = new_client();
    // 1. A consumer files through the form, confirms the email, opens the status page.
    let page = page_text(&browser, &format!("{base}/requests/new?jurisdiction=eu")).await;
    let csrf = hidden(&page, "csrf_token");
    secrets.push(csrf.clone());
    let mut fields = vec![
        ("csrf_token", csrf.as_str()),
        ("submission_id", "submission-abcdefghijklmnop"),
        ("jurisdiction", "eu"),
        ("kind", "access"),
    ];
    fields.extend_from_slice(&consumer);
    let r = post_raw(&browser, &format!("{base}/requests"), encode(&fields), None).await;
    assert_eq!(r.status(), 200);
    let verify = link_path(
        &mail_to(&mail_dir, consumer[1].1, "/verify/").await.text,
        "/verify/",
    );
    let verify_url = format!("{base}{verify}");
    let r = post_page_form(&browser, &verify_url, &verify_url, &[]).await;
    let done = r.text().await.expect("page");
    let status = link_path(&done, "/status/");
    let status_page = page_text(&browser, &format!("{base}{status}")).await;
    let reference = link_path(&status_page, "DSR-");
    secrets.push(verify.trim_start_matches("/verify/").into());
    secrets.push(status.trim_start_matches("/status/").into());
    // A wrong link too (the 404 path logs as well).
    let _ = browser
        .get(format!("{base}/status/{}", "B".repeat(43)))
        .send()
        .await;

    // 2. The JSON API.
    let r = browser
        .post(format!("{base}/api/v1/requests"))
        .json(&json!({"jurisdiction": "california", "kind": "deletion",
                      "name": "Apinya Apiperson", "email": "apinya.api@person.example"}))
        .send()
        .await
        .expect("API");
    assert_eq!(r.status(), 202);

    // 3. An agent files with a PDF; the agent verifies, the consumer confirms.
    let (s, page) = agent_post(
        &browser,
        &base,
        &[
            ("name", "Connie Confirmlog"),
            ("email", "connie.confirmlog@person.example"),
            ("agent_name", "Agatha Agentlog"),
            ("agent_email", "agatha@agentlog.example"),
            ("agent_organisation", "Agentlog Org Secret"),
            ("agent_registration_number", "REG-99-SECRET"),
        ],
        Some(("permission.pdf", PDF)),
    )
    .await;
    assert_eq!(s, 200, "{page}");
    let agent_reference = link_path(&page, "DSR-");
    let verify = link_path(
        &mail_to(&mail_dir, "agatha@agentlog.example", "/verify/")
            .await
            .text,
        "/verify/",
    );
    let verify_url = format!("{base}{verify}");
    post_page_form(&browser, &verify_url, &verify_url, &[]).await;
    let confirm = link_path(
        &mail_to(
            &mail_dir,
            "connie.confirmlog@person.example",
            "/confirm-agent/",
        )
        .await
        .text,
        "/confirm-agent/",
    );
    let confirm_url = format!("{base}{confirm}");
    let r = post_page_form(
        &browser,
        &confirm_url,
        &confirm_url,
        &[("decision", "confirm")],
    )
    .await;
    assert_eq!(r.status(), 200);
    secrets.push(verify.trim_start_matches("/verify/").into());
    secrets.push(confirm.trim_start_matches("/confirm-agent/").into());

    // 4. Staff: a failed login for a known and an unknown email, the first admin's
    // one-time password and its change, then the work on both requests.
    let staff = Staff::anonymous_at(&base);
    for email in [ADMIN_EMAIL, "ghost.user@ops-secret.example"] {
        let (s, _) = staff.login(email, WRONG_PASSWORD).await;
        assert_eq!(s, 401);
    }
    secrets.push("ghost.user@ops-secret.example".into());
    let (s, _) = staff.login(ADMIN_EMAIL, &one_time).await;
    assert_eq!(s, 303);
    let (s, _) = staff
        .post(
            "/staff/password",
            "/staff/password",
            &[
                ("current", &one_time),
                ("new", NEW_PASSWORD),
                ("repeat", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(s, 303);
    // Searching by email goes through the query string; it must not be logged either.
    let (s, _) = staff
        .get(&format!("/staff?q={}", "lorelei.logtest%40person.example"))
        .await;
    assert_eq!(s, 200);
    let find = |reference: String| {
        let staff = &staff;
        async move {
            let (_, queue) = staff.get(&format!("/staff?q={reference}")).await;
            // The first row's link, not the queue's "enter a request" link above the table.
            let rows = &queue[queue.find("<table").expect("queue table")..];
            link_path(rows, "/staff/requests/")
                .trim_start_matches("/staff/requests/")
                .to_string()
        }
    };
    let id = find(reference).await;
    staff.verify_and_fulfil(&id).await;
    let agent_id = find(agent_reference).await;
    let (_, page) = staff.get(&format!("/staff/requests/{agent_id}")).await;
    let doc_link = link_path(&page, &format!("/staff/requests/{agent_id}/documents/"));
    let doc = doc_link
        .split("/documents/")
        .nth(1)
        .and_then(|d| d.split('/').next())
        .expect("doc")
        .to_string();
    let r = staff
        .client
        .get(format!("{base}/staff/requests/{agent_id}/documents/{doc}"))
        .send()
        .await
        .expect("GET");
    assert!(r
        .bytes()
        .await
        .expect("doc")
        .windows(DOC_MARKER.len())
        .any(|w| w == DOC_MARKER.as_bytes()));
    let (s, _) = staff
        .post(
            &format!("/staff/requests/{agent_id}"),
            &format!("/staff/requests/{agent_id}/documents/{doc}/review"),
            &[("outcome", "accepted")],
        )
        .await;
    assert_eq!(s, 303);

    // 5. A DRP agent (added on the command line) pairs and files an opt-out.
    let key = SigningKey::from_bytes(&[21; 32]);
    let add = Command::new(env!("CARGO_BIN_EXE_dsar-portal"))
        .args([
            "--config",
            &config.to_string_lossy(),
            "agents",
            "add",
            "--id",
            "AA_LOGS",
            "--name",
            "Log Agent",
            "--verify-key",
            &STANDARD.encode(key.verifying_key().to_bytes()),
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DSAR_LOG", "warn")
        .output()
        .expect("agents add");
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let r = browser
        .post(format!("{base}/v1/agent/AA_LOGS"))
        .header("content-type", "text/plain")
        .body(drp_seal(&key, &drp_claims("AA_LOGS", BUSINESS)))
        .send()
        .await
        .expect("pair");
    assert_eq!(r.status(), 200);
    let paired: Value = r.json().await.expect("json");
    let bearer = paired["token"].as_str().expect("token").to_string();
    let mut body = drp_claims("AA_LOGS", BUSINESS);
    for (k, v) in [
        ("exercise", json!("sale:opt-out")),
        ("regime", json!("ccpa")),
        ("name", json!("Drusilla Drplog")),
        ("email", json!("drusilla.drp@person.example")),
        ("email_verified", json!(true)),
    ] {
        body[k] = v;
    }
    let r = browser
        .post(format!("{base}/v1/data-rights-request"))
        .header("authorization", format!("Bearer {bearer}"))
        .header("content-type", "text/plain")
        .body(drp_seal(&key, &body))
        .send()
        .await
        .expect("exercise");
    assert!(r.status().is_success(), "exercise: {}", r.status());
    secrets.push(bearer);

    // Every email the flow caused has been written; then stop and read the log.
    mail_to(&mail_dir, consumer[1].1, "/status/").await;
    let output = server.stop();
    // Read once the server has stopped, so that every file is complete.
    let mails = mails_in(&mail_dir, 5).await;
    if let Some((admin, name)) = pg {
        drop_postgres_database(&admin, &name);
    }

    let text = output.join("\n");
    // The log was really on, at debug level, and saw the flow (so absence means
    // something): requests by route pattern, logins, verifications.
    assert!(
        text.contains("DEBUG"),
        "debug logging on ({}):\n{text}",
        backend.name()
    );
    for expected in [
        "/status/{token}",
        "/verify/{token}",
        "staff login",
        "email verified",
        "/v1/data-rights-request",
    ] {
        assert!(
            text.contains(expected),
            "log mentions {expected:?}:\n{text}"
        );
    }
    // The one line the spec requires: the first admin's one-time password, once, at
    // first start. That line alone is exempt.
    let with_password: Vec<&String> = output.iter().filter(|l| l.contains(&one_time)).collect();
    assert_eq!(
        with_password.len(),
        1,
        "the one-time password is printed once"
    );
    assert!(with_password[0].contains("first admin :"));
    // Link tokens from every email, too.
    for m in &mails {
        for prefix in ["/verify/", "/status/", "/confirm-agent/", "/download/"] {
            if m.text.contains(prefix) {
                secrets.push(
                    link_path(&m.text, prefix)
                        .trim_start_matches(prefix)
                        .to_string(),
                );
            }
        }
    }
    // Defence: the request log records route patterns, never paths or queries;
    // handlers log kinds and ids; Sensitive<T>/EmailAddress redact in Debug.
    for line in output.iter().filter(|l| !l.contains("first admin :")) {
        let lower = line.to_lowercase();
        for s in &secrets {
            let s_lower = s.to_lowercase();
            assert!(
                !lower.contains(&s_lower) && !lower.contains(&s_lower.replace('@', "%40")),
                "the log ({}) contains {s:?}:\n{line}",
                backend.name()
            );
        }
    }
}
