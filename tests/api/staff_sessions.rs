//! Staff sessions are held on the server: a cookie captured before logout, a password
//! change, a reset, a disable or an administrator's "end sessions" opens nothing
//! afterwards, on this instance or another on the same database.

use crate::helpers::*;
use crate::session_helpers::*;

/// A filed request, a handler with a captured cookie, and the CSRF token and version
/// that cookie's session would post a note with.
async fn handler_with_captured_cookie(app: &TestApp) -> (Staff, String, String, String, String) {
    app.submit("eu", JANE_ACCESS).await;
    let id = app.only_request_id();
    let (handler, jar) = app.staff_with_jar("handler").await;
    let (status, page) = handler.get(&format!("/staff/requests/{id}")).await;
    assert_eq!(status, 200);
    let (csrf, version) = (hidden(&page, "csrf_token"), hidden(&page, "version"));
    (handler, captured_cookie(app, &jar), csrf, version, id)
}

/// The account `email` logged in from a second browser.
async fn another_browser(app: &TestApp, email: &str) -> Staff {
    let other = Staff::anonymous(app);
    let (status, _) = other.login(email, STAFF_PASSWORD).await;
    assert_eq!(status, 303);
    other
}

/// Whether `cookie` still opens the queue.
async fn opens_the_queue(app: &TestApp, cookie: &str) -> bool {
    let (status, location) = replay(app, cookie, "/staff", None).await;
    assert!(
        status == 200 || (status == 303 && location == "/staff/login"),
        "{status} {location}"
    );
    status == 200
}

#[actix_web::test]
async fn a_cookie_captured_before_logout_opens_nothing_after_it() {
    each_backend(|app| async move {
        let (handler, cookie, csrf, version, id) = handler_with_captured_cookie(&app).await;
        assert!(
            opens_the_queue(&app, &cookie).await,
            "control: it works now"
        );
        let (status, _) = handler.post("/staff", "/staff/logout", &[]).await;
        assert_eq!(status, 303);
        assert!(!opens_the_queue(&app, &cookie).await, "{}", app.backend);
        let (status, _) = replay(&app, &cookie, &format!("/staff/requests/{id}"), None).await;
        assert_eq!(status, 303, "no personal data after logout");
        let notes = app.count("notes");
        let (status, location) = replay(
            &app,
            &cookie,
            &format!("/staff/requests/{id}/action"),
            Some(&[
                ("csrf_token", &csrf),
                ("version", &version),
                ("action", "note"),
                ("body", "written with a stolen cookie"),
            ]),
        )
        .await;
        assert_ne!(
            (status, location.as_str()),
            (303, &*format!("/staff/requests/{id}"))
        );
        assert_eq!(app.count("notes"), notes, "no note after logout");
    })
    .await;
}

#[actix_web::test]
async fn a_password_change_ends_the_accounts_other_sessions() {
    each_backend(|app| async move {
        let (handler, jar) = app.staff_with_jar("handler").await;
        let cookie = captured_cookie(&app, &jar);
        let other = another_browser(&app, &handler.email).await;
        let (status, _) = handler
            .post(
                "/staff/password",
                "/staff/password",
                &[
                    ("current", STAFF_PASSWORD),
                    ("new", "another long passphrase"),
                    ("repeat", "another long passphrase"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(handler.get("/staff").await.0, 200, "the changer goes on");
        assert_eq!(other.get("/staff").await.0, 303, "{}", app.backend);
        assert!(!opens_the_queue(&app, &cookie).await, "the old cookie");
    })
    .await;
}

#[actix_web::test]
async fn disable_enable_reset_and_end_sessions_by_an_admin_end_the_sessions() {
    each_backend(|app| async move {
        let admin = app.staff("admin").await;
        let (handler, jar) = app.staff_with_jar("handler").await;
        let op = |name: &str| format!("/staff/accounts/{}/{name}", handler.id);
        // Disable, then enable: the cookie from before stays dead.
        let cookie = captured_cookie(&app, &jar);
        for name in ["disable", "enable"] {
            let (status, _) = admin.post("/staff/accounts", &op(name), &[]).await;
            assert_eq!(status, 303, "{name}");
        }
        assert!(
            !opens_the_queue(&app, &cookie).await,
            "after disable + enable"
        );
        // The administrator ends the sessions from the accounts page (audited).
        let s = another_browser(&app, &handler.email).await;
        assert_eq!(s.get("/staff").await.0, 200);
        let (status, _) = admin.post("/staff/accounts", &op("sessions"), &[]).await;
        assert_eq!(status, 303);
        assert_eq!(s.get("/staff").await.0, 303, "ended by the admin");
        let (_, log) = admin.get("/staff/audit").await;
        assert!(log.contains("Sessions ended"), "audited ({})", app.backend);
        // A password reset ends them too.
        let s = another_browser(&app, &handler.email).await;
        let (status, _) = admin.post("/staff/accounts", &op("reset"), &[]).await;
        assert_eq!(status, 200);
        assert_eq!(s.get("/staff").await.0, 303, "ended by the reset");
    })
    .await;
}

#[actix_web::test]
async fn staff_see_their_sessions_and_end_the_others() {
    each_backend(|app| async move {
        let handler = app.staff("handler").await;
        let other = another_browser(&app, &handler.email).await;
        let (status, page) = handler.get("/staff/sessions").await;
        assert_eq!(status, 200);
        assert_eq!(page.matches("<tr class=\"session\"").count(), 2, "{page}");
        assert_eq!(page.matches("This session").count(), 1);
        let (status, _) = handler
            .post(
                "/staff/sessions",
                "/staff/sessions/end",
                &[("session", "others")],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(other.get("/staff").await.0, 303, "{}", app.backend);
        let (status, page) = handler.get("/staff/sessions").await;
        assert_eq!(status, 200, "this one goes on");
        assert_eq!(page.matches("<tr class=\"session\"").count(), 1);
    })
    .await;
}

#[actix_web::test]
async fn a_session_ended_on_one_instance_is_refused_by_another() {
    for backend in backends() {
        let first = spawn_app(&backend).await;
        let second = rel_spawn_second(&first, |_| {}).await;
        let (handler, jar) = first.staff_with_jar("handler").await;
        let cookie = captured_cookie(&first, &jar);
        assert!(opens_the_queue(&second, &cookie).await, "control: shared");
        let (status, _) = handler.post("/staff", "/staff/logout", &[]).await;
        assert_eq!(status, 303);
        assert!(
            !opens_the_queue(&second, &cookie).await,
            "ended on the first, refused on the second ({})",
            first.backend
        );
        drop(second);
    }
}
#[actix_web::test]
async fn timeouts_come_from_the_servers_clock_and_expired_sessions_are_removed() {
    each_backend(|app| async move {
        let (handler, jar) = app.staff_with_jar("handler").await;
        let cookie = captured_cookie(&app, &jar);
        // The cookie stays as it was; only the server's record of the session ages.
        let long_ago = dsar_portal::clock::now() - chrono::Duration::minutes(31);
        app.db(|c| {
            use diesel::prelude::*;
            use dsar_portal::db::schema::staff_sessions::dsl::*;
            diesel::update(staff_sessions.filter(staff_id.eq(&handler.id)))
                .set(seen_at.eq(long_ago))
                .execute(c)
                .expect("age")
        });
        assert!(
            !opens_the_queue(&app, &cookie).await,
            "idle, by the server's clock"
        );
        let other = app.staff("auditor").await;
        let started = dsar_portal::clock::now() - chrono::Duration::hours(13);
        app.db(|c| {
            use diesel::prelude::*;
            use dsar_portal::db::schema::staff_sessions::dsl::*;
            diesel::update(staff_sessions.filter(staff_id.eq(&other.id)))
                .set(started_at.eq(started))
                .execute(c)
                .expect("age")
        });
        assert!(dsar_portal::jobs::housekeeping(&app.state));
        assert_eq!(app.count("staff_sessions"), 0, "{}", app.backend);
        assert_eq!(other.get("/staff").await.0, 303);
    })
    .await;
}
