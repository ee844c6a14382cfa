//! Every word a person reads comes from the catalogue, so a translation covers it all.
//!
//! The portal runs with a pseudo-translation (`pseudo_language`): a shipped catalogue
//! with each text wrapped in ⟪ ⟫. A page's visible text (and its titles and labels for screen readers), and
//! each email, with those wrapped pieces taken out must hold only what the person,
//! the organisation or the request supplied (names, addresses, references, numbers).
//! An English sentence written in Rust, a month name from chrono or an error page that
//! bypasses the catalogue shows up as a leftover word. Stored records shown verbatim
//! in `<code>` (an audit event's detail) are the record itself and are not checked.

use crate::agent_web::{agent_fields, agent_submit, confirm_link};
use crate::connector_flow::{
    alices_checked_access_request, find_and_export, seeded_store, take_download,
};
use crate::drp_agent::{filed, id_of, open_verification_url, register, takes_drp, SpecAgent};
use crate::helpers::*;
use crate::manual_entry::{days_ago, enter, phone_request};
use crate::pseudo_language::*;
use diesel::prelude::*;
use dsar_portal::db::schema::requests;

#[actix_web::test]
async fn a_translation_reaches_every_page_error_and_email() {
    every_page_error_and_email(SHIPPED[0].1, true).await;
}

/// Every shipped translation through the same pages, errors and emails: a text with a
/// placeholder its template does not give, or a missing one, fails here.
#[actix_web::test]
async fn the_german_french_and_spanish_catalogues_reach_every_page_error_and_email() {
    for (_, source) in &SHIPPED[1..] {
        every_page_error_and_email(source, false).await;
    }
}

/// `english`: the catalogue is English, whose wording the checks of single sentences
/// below name.
async fn every_page_error_and_email(source: &str, english: bool) {
    let (app, _templates) = spawn_in_pseudo_language_of(source, |_| {}).await;

    // The consumer's pages, with the messages chosen in Rust: form errors, the
    // due date's month, the status timeline's moments.
    page("home", app.get("/").await, 200);
    page("chooser", app.get("/requests/new").await, 200);
    page(
        "form",
        app.get("/requests/new?jurisdiction=california").await,
        200,
    );
    let refused = page(
        "form with errors",
        app.submit("california", &[("kind", "access"), ("name", "Jane Doe")])
            .await,
        422,
    );
    assert!(refused.contains("role=\"alert\""));
    let status_path = app
        .file_and_verify("california", "deletion", "jane@example.com")
        .await;
    page("status", app.get(&status_path).await, 200);
    page(
        "unknown link",
        app.get("/status/not-a-real-token").await,
        404,
    );

    // Error pages written by `AppError`: not found, a form without its CSRF token,
    // a body over the limit.
    let missing = page("not found", app.get("/no-such-page").await, 404);
    assert!(
        !english || missing.contains("⟪Page not found⟫"),
        "{missing}"
    );
    let forged = page(
        "no CSRF token",
        app.post_form("/requests", &[("jurisdiction", "eu")]).await,
        403,
    );
    assert!(
        !english || forged.contains("⟪This form has expired"),
        "{forged}"
    );
    let long = "x".repeat(70 * 1024);
    page(
        "too large",
        app.post_form("/requests", &[("details", &long)]).await,
        413,
    );
    // Refused by actix's body extractor before the handler runs.
    let refused = page(
        "too large for a short form",
        app.post_form("/staff/login", &[("email", &long)]).await,
        413,
    );
    assert!(
        !english || refused.contains("⟪The form is too large."),
        "{refused}"
    );

    // Staff pages and their refusals, including messages built from other texts
    // ("{action} is not possible…", "Please write {what}.").
    let admin = app.staff("admin").await;
    let id = app.only_request_id();
    let request_page = format!("/staff/requests/{id}");
    for (what, path) in [
        ("queue", "/staff"),
        ("request", request_page.as_str()),
        ("accounts", "/staff/accounts"),
        ("sessions", "/staff/sessions"),
        ("audit", "/staff/audit"),
        ("metrics", "/staff/metrics"),
        ("agents", "/staff/agents"),
        ("new request", "/staff/requests/new"),
    ] {
        page(what, admin.get(path).await, 200);
    }
    page(
        "note without text",
        admin.act(&id, &[("action", "note"), ("body", " ")]).await,
        400,
    );
    page(
        "extension without a reason",
        admin
            .act(&id, &[("action", "extend"), ("reason", "")])
            .await,
        400,
    );
    let not_now = page(
        "a step the request is not at",
        admin.act(&id, &[("action", "info_received")]).await,
        409,
    );
    assert!(
        !english || not_now.contains("⟪Recording the reply⟫⟪ is not possible"),
        "{not_now}"
    );
    let password = page(
        "password too short",
        admin
            .post(
                "/staff/password",
                "/staff/password",
                &[
                    ("current", STAFF_PASSWORD),
                    ("new", "short"),
                    ("repeat", "short"),
                ],
            )
            .await,
        422,
    );
    assert!(
        !english || password.contains("⟪Use at least ⟫12⟪ characters.⟫"),
        "{password}"
    );
    page(
        "login",
        Staff::anonymous(&app).get("/staff/login").await,
        200,
    );

    // A request entered by staff: the refusal of a date too far back names the
    // earliest day; the entered request's page names its channel and due date.
    let ancient = days_ago(400).to_string();
    page(
        "entered too late",
        enter(&admin, &phone_request(&ancient, "paula@example.net")).await,
        422,
    );
    let received = days_ago(3).to_string();
    let (status, body) = enter(&admin, &phone_request(&received, "paula@example.net")).await;
    assert_eq!(status, 303, "{body}");
    let entered: String = app.db(|c| {
        requests::table
            .filter(requests::source.eq("phone"))
            .select(requests::id)
            .first(c)
            .expect("the entered request")
    });
    page(
        "entered request",
        admin.get(&format!("/staff/requests/{entered}")).await,
        200,
    );

    check_emails(&app, 2).await;

    // The JSON API stays English for the programs that read it.
    let r = app
        .client
        .post(app.url("/api/v1/requests"))
        .header("content-type", "application/json")
        .body("[]")
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status().as_u16(), 400);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["message"], "The body must be a JSON object.");
}

/// An agent files with a document, the person confirms, and staff work the request
/// through acknowledgement, a question, an extension and a refusal: each page and
/// each email on the way.
#[actix_web::test]
async fn a_translation_reaches_an_agents_request_and_its_decisions() {
    let (app, _templates) = spawn_in_pseudo_language().await;
    page(
        "agent's form with a missing document",
        agent_submit(
            &app,
            "access",
            &agent_fields("access", "signed_permission"),
            None,
        )
        .await,
        422,
    );
    crate::translation_agents::agent_files_and_verifies(&app, "signed_permission").await;
    let link = confirm_link(&app).await;
    let question = page("the person's confirmation", app.get(&link).await, 200);
    let csrf = hidden(&question, "csrf_token");
    page(
        "no answer chosen",
        app.post_form(&link, &[("csrf_token", &csrf), ("decision", "maybe")])
            .await,
        400,
    );
    page(
        "agent confirmed",
        app.post_form(&link, &[("csrf_token", &csrf), ("decision", "confirm")])
            .await,
        200,
    );
    page("answered link", app.get(&link).await, 409);

    let handler = app.staff("handler").await;
    let id = app.only_request_id();
    let request_page = format!("/staff/requests/{id}");
    page(
        "request with a document",
        handler.get(&request_page).await,
        200,
    );
    // The CCPA acknowledgement went out with the agent's confirmation email, in the
    // catalogue's words (checked with the other emails below): no second one.
    page(
        "second acknowledgement",
        handler.act(&id, &[("action", "acknowledge")]).await,
        409,
    );
    for (what, fields) in [
        (
            "ask",
            vec![("action", "request_info"), ("message", "Which account?")],
        ),
        ("reply", vec![("action", "info_received")]),
        (
            "extend",
            vec![("action", "extend"), ("reason", "Many systems.")],
        ),
    ] {
        let (status, body) = handler.act(&id, &fields).await;
        assert_eq!(status, 303, "{what}: {body}");
    }
    page(
        "refusal without a reason",
        handler.act(&id, &[("action", "deny"), ("code", "")]).await,
        400,
    );
    let (status, body) = handler
        .act(
            &id,
            &[
                ("action", "deny"),
                ("code", "manifestly_unfounded_or_excessive"),
                ("message", "Asked weekly."),
            ],
        )
        .await;
    assert_eq!(status, 303, "deny: {body}");
    page("request refused", handler.get(&request_page).await, 200);
    page("queue", handler.get("/staff?status=all").await, 200);
    page(
        "metrics with a refusal",
        handler.get("/staff/metrics").await,
        200,
    );
    // The confirmation with its acknowledgement, the question, the extension and the
    // refusal reach the person and the agent.
    check_emails(&app, 7).await;
}

/// The page a DRP agent sends the person to (`user_verification_url`), its answer and
/// the email it sends.
#[actix_web::test]
async fn a_translation_reaches_the_drp_confirmation_page() {
    let (app, _templates) = spawn_in_pseudo_language_with(takes_drp).await;
    let mut agent = SpecAgent::new("AA_XX", 61);
    register(&app, &agent);
    agent.pair(&app).await.ok("pairing");
    let status = filed(&app, &agent, "access", "jane@example.com", false).await;
    let url = status["user_verification_url"]
        .as_str()
        .expect("user_verification_url");
    let (path, html) = open_verification_url(&app, url, &id_of(&status)).await;
    let confirm = page("DRP confirmation page", (200, html), 200);
    page(
        "DRP confirmation sent",
        app.post_with_csrf(&confirm, &path).await,
        200,
    );
    // The first email link, and the one the button sent.
    check_emails(&app, 2).await;
}

/// An access request fulfilled with a package from a real (MariaDB) analytics store:
/// the download page and the report inside the ZIP.
#[actix_web::test]
async fn a_translation_reaches_the_access_package() {
    let Some(url) = crate::matomo_db::db_url() else {
        return;
    };
    let var = format!("MATOMO_URL_XX_{}", std::process::id());
    std::env::set_var(&var, &url);
    let (_store, mut cfg) = seeded_store(&url);
    cfg.url_env = Some(var);
    let (app, _templates) = spawn_in_pseudo_language_with(move |s| {
        s.connectors = vec![cfg];
    })
    .await;
    let (id, handler) = alices_checked_access_request(&app).await;
    let path = format!("/staff/requests/{id}");
    page(
        "package before the exports",
        handler.post(&path, &format!("{path}/package"), &[]).await,
        409,
    );
    find_and_export(&app, &handler, &id).await;
    let (status, body) = handler.post(&path, &format!("{path}/package"), &[]).await;
    assert_eq!(status, 303, "{body}");
    let mail = app
        .email_where("with the download link", |m| m.text.contains("/download/"))
        .await;
    let download = link_path(&mail.text, "/download/");
    let offer = page("download", app.get(&download).await, 200);
    let r = take_download(&app, &download, &offer).await;
    assert_eq!(r.status().as_u16(), 200);
    let bytes = r.bytes().await.expect("zip").to_vec();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a valid zip");
    let mut report = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("report.html").expect("report"),
        &mut report,
    )
    .expect("utf8");
    assert!(report.contains("<html lang=\"xx\">"));
    // The report lists the files by system and table: names from the store, not words.
    let files: Vec<String> = (0..zip.len())
        .filter_map(|i| {
            zip.by_index(i)
                .ok()
                .and_then(|f| f.name().ok().map(|n| n.to_string()))
        })
        .flat_map(|name| {
            name.split(['/', '.'])
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    let text = visible_text(&report)
        .split_whitespace()
        // File names ("analytics/log_visit.json,", ".csv,"), never a marker.
        .filter(|w| !(w.contains('/') || w.starts_with('.')) || w.contains([OPEN, CLOSE]))
        .collect::<Vec<_>>()
        .join(" ");
    let supplied: Vec<&str> = SUPPLIED
        .iter()
        .copied()
        .chain(files.iter().map(String::as_str))
        .collect();
    assert_translated("the package's report", &text, &supplied);
    page("download after one", app.get(&download).await, 200);
    check_emails(&app, 3).await;
}
