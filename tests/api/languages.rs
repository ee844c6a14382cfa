//! A person is served in their language and every email about their request follows
//! it, while staff work in the organisation's default language.
//!
//! The language a person chooses here is the pseudo-language "xx" (English with each
//! text wrapped in ⟪ ⟫, `translation::pseudo_catalogue`), offered beside English: any
//! word of a person's page or email written in the default language instead shows up
//! as a leftover, and staff pages must show no marker at all.

use crate::helpers::*;
use crate::pseudo_language::{assert_translated, pseudo_catalogue, visible_text, SUPPLIED};

/// English by default, "xx" offered beside it.
async fn spawn_offering_xx() -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("locales")).expect("locales dir");
    std::fs::write(dir.path().join("locales/xx.toml"), pseudo_catalogue()).expect("write");
    let templates = dir.path().to_path_buf();
    let app = spawn_app_with(&Backend::Sqlite, move |s| {
        s.organisation.language = "en".into();
        s.organisation.languages = vec!["en".into(), "xx".into()];
        s.templates_dir = Some(templates);
    })
    .await;
    app.exec("DELETE FROM reply_templates");
    (app, dir)
}

async fn get_with(app: &TestApp, path: &str, accept_language: &str) -> (u16, String, String) {
    let r = app
        .client
        .get(app.url(path))
        .header("Accept-Language", accept_language)
        .send()
        .await
        .expect("GET");
    let status = r.status().as_u16();
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lang="))
        .unwrap_or_default()
        .to_string();
    (status, r.text().await.expect("body"), cookie)
}

fn lang_of(html: &str) -> &str {
    let at = html.find("<html lang=\"").expect("an html lang") + 12;
    let end = html[at..].find('"').expect("closed") + at;
    &html[at..end]
}

#[actix_web::test]
async fn the_browsers_preference_chooses_and_a_link_changes_the_language() {
    let app = spawn_app(&Backend::Sqlite).await;
    // The built-in languages are offered by default, chosen by weight.
    let (_, home, cookie) = get_with(&app, "/", "fr-CH, de;q=0.9, en;q=0.5").await;
    assert_eq!(lang_of(&home), "fr");
    assert!(cookie.is_empty(), "a guess is not remembered: {cookie}");
    let (_, home, _) = get_with(&app, "/", "de-AT,de;q=0.9").await;
    assert_eq!(lang_of(&home), "de");
    assert!(home.contains("Ihre Datenschutzrechte"), "{home}");
    let (_, home, _) = get_with(&app, "/", "pt-BR, ja").await;
    assert_eq!(lang_of(&home), "en", "nothing offered: the default");

    // Each page links to itself in every language, its own query kept.
    let (_, form, _) = get_with(&app, "/requests/new?jurisdiction=eu", "es").await;
    assert_eq!(lang_of(&form), "es");
    for (code, name) in [("en", "English"), ("de", "Deutsch"), ("fr", "Français")] {
        let link = format!(
            "href=\"/requests/new?jurisdiction&#x3D;eu&amp;lang&#x3D;{code}\" hreflang=\"{code}\" lang=\"{code}\">{name}</a>"
        );
        assert!(form.contains(&link), "{link} in {form}");
    }
    assert!(form.contains("lang=\"es\" aria-current=\"true\">Español</a>"));

    // Following a link switches and remembers, over the browser's preference.
    let (status, page, cookie) = get_with(&app, "/requests/new?lang=de", "es").await;
    assert_eq!(status, 200);
    assert_eq!(lang_of(&page), "de");
    assert!(
        cookie.starts_with("lang=de;") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let (_, next, _) = get_with(&app, "/status", "es").await;
    assert_eq!(lang_of(&next), "de", "the choice holds on the next page");
    let (_, missing, _) = get_with(&app, "/no-such-page", "es").await;
    assert_eq!(lang_of(&missing), "de", "error pages too");
    // A language not offered is no choice.
    let (_, page, cookie) = get_with(&app, "/?lang=tlh", "es").await;
    assert_eq!(lang_of(&page), "de");
    assert!(cookie.is_empty());

    // Staff pages speak the default language whatever the browser prefers.
    let (_, login, _) = get_with(&app, "/staff/login", "de").await;
    assert_eq!(lang_of(&login), "en");
    assert!(!login.contains("hreflang"), "no language links for staff");
}

#[actix_web::test]
async fn an_organisation_offering_one_language_shows_no_choice() {
    let app = spawn_app_with(&Backend::Sqlite, |s| {
        s.organisation.languages = vec!["en".into()];
    })
    .await;
    let (_, home, _) = get_with(&app, "/?lang=de", "de").await;
    assert_eq!(lang_of(&home), "en");
    assert!(!home.contains("hreflang"), "{home}");
}

#[actix_web::test]
async fn a_request_filed_in_a_language_is_answered_in_it_while_staff_work_in_the_default() {
    let (app, _templates) = spawn_offering_xx().await;
    // The person picks "xx" on the home page, then files and confirms.
    let (status, home) = app.get("/?lang=xx").await;
    assert_eq!(status, 200);
    assert_eq!(lang_of(&home), "xx");
    let status_path = app
        .file_and_verify("eu", "access", "jane@example.com")
        .await;

    // Staff see English, and which language the person's emails speak.
    let handler = app.staff("handler").await;
    let id = app.only_request_id();
    let request_page = format!("/staff/requests/{id}");
    let (_, page) = handler.get(&request_page).await;
    assert_eq!(lang_of(&page), "en");
    assert!(page.contains("Language of their emails"), "{page}");
    assert!(
        page.contains("<span lang=\"xx\">⟪English⟫</span>"),
        "{page}"
    );
    assert!(!page.contains("⟪Acknowledge"), "staff buttons are English");

    for fields in [
        vec![("action", "acknowledge")],
        vec![("action", "request_info"), ("message", "Which account?")],
        vec![("action", "info_received")],
        vec![("action", "extend"), ("reason", "Many systems.")],
        vec![
            ("action", "deny"),
            ("code", "manifestly_unfounded_or_excessive"),
            ("message", "Asked weekly."),
        ],
    ] {
        let (status, body) = handler.act(&id, &fields).await;
        assert_eq!(status, 303, "{fields:?}: {body}");
    }

    // Every email to the person is in "xx": the link, the confirmation, the
    // acknowledgement, the question, the extension and the refusal.
    let emails = app.emails(6).await;
    let to_person: Vec<_> = emails
        .iter()
        .filter(|m| m.to == "jane@example.com")
        .collect();
    assert!(to_person.len() >= 6, "{} emails", to_person.len());
    for email in to_person {
        let what = format!("email {:?}", email.subject);
        assert_translated(&what, &email.subject, SUPPLIED);
        assert_translated(&what, &email.text, SUPPLIED);
        assert_translated(&what, &visible_text(&email.html), SUPPLIED);
    }

    // The status link opened on another device, whose browser prefers English, still
    // speaks the request's language.
    let other = Staff::anonymous(&app);
    let r = other
        .client
        .get(app.url(&status_path))
        .header("Accept-Language", "en")
        .send()
        .await
        .expect("GET");
    let status_page = r.text().await.expect("body");
    assert_eq!(lang_of(&status_page), "xx");
    // The links to the other languages name each in itself: English as "English".
    let supplied: Vec<&str> = SUPPLIED.iter().copied().chain(["English"]).collect();
    assert_translated("status page", &visible_text(&status_page), &supplied);
}

#[test]
fn a_default_language_the_organisation_does_not_offer_is_refused_at_start() {
    let mut settings = dsar_portal::config::Settings::default();
    settings.organisation.language = "de".into();
    settings.organisation.languages = vec!["en".into(), "fr".into()];
    let e = settings.check().expect_err("refused").to_string();
    assert!(e.contains("must include the default language"), "{e}");
}

/// What a newcomer sees: a German browser files, the emails come in German with
/// German dates, and the staff page of the request stays English.
#[actix_web::test]
async fn a_german_browser_files_and_the_emails_come_in_german() {
    let app = spawn_app(&Backend::Sqlite).await;
    let r = app
        .client
        .get(app.url("/requests/new?jurisdiction=eu"))
        .header("Accept-Language", "de-DE,de;q=0.9,en;q=0.8")
        .send()
        .await
        .expect("GET");
    let form = r.text().await.expect("body");
    assert_eq!(lang_of(&form), "de");
    // The helpers below send no Accept-Language: the person follows the German link
    // instead, which is remembered for the pages after it.
    let (_, form) = app.get("/requests/new?jurisdiction=eu&lang=de").await;
    assert_eq!(lang_of(&form), "de");
    app.file_and_verify("eu", "access", "hans@example.de").await;
    let emails = app.emails(2).await;
    let to_hans: Vec<_> = emails
        .iter()
        .filter(|m| m.to == "hans@example.de")
        .collect();
    assert!(
        to_hans.iter().any(|m| m
            .subject
            .starts_with("Bestätigen Sie Ihre Datenschutzanfrage")),
        "{:?}",
        to_hans.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    let confirmed = to_hans
        .iter()
        .find(|m| m.subject.ends_with("ist bestätigt"))
        .expect("the confirmation in German");
    // The due date in German words ("… Januar 2027"), not chrono's English.
    let months = [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ];
    assert!(
        months.iter().any(|m| confirmed.text.contains(m)),
        "{}",
        confirmed.text
    );
    let handler = app.staff("handler").await;
    let id = app.only_request_id();
    let (_, page) = handler.get(&format!("/staff/requests/{id}")).await;
    assert_eq!(lang_of(&page), "en");
    assert!(page.contains("<span lang=\"de\">Deutsch</span>"), "{page}");
}
