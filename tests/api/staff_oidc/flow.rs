//! The flow's edges: the provider's answer taken once and only by the browser that
//! asked, the provider's refusal, the provider down, and password login turned off.

use super::*;

#[actix_web::test]
async fn the_providers_answer_is_taken_once_and_only_by_the_browser_that_asked() {
    for backend in backends() {
        let Some(o) = spawn(&backend, |_| {}).await else {
            return;
        };
        let app = &o.app;
        // Another browser's answer: its state is not the one this browser keeps.
        let mine = browser();
        let started = mine
            .get(app.url("/staff/login/oidc?login_hint=hal@corp.example"))
            .send()
            .await
            .expect("start");
        assert_eq!(started.status(), 303);
        let pending_cookie = started.headers()["set-cookie"]
            .to_str()
            .expect("cookie")
            .to_string();
        assert!(pending_cookie.contains("SameSite=Lax"), "{pending_cookie}");
        assert!(pending_cookie.contains("HttpOnly"), "{pending_cookie}");
        let attacker = browser();
        let theirs = sign_in(app, &attacker, "ann@corp.example").await;
        assert_eq!(theirs.status, 200);
        let stolen = follow(&mine, theirs.callback()).await;
        assert_eq!(stolen.status, 400, "{}", stolen.body);
        assert!(
            stolen.body.contains("does not belong"),
            "{}",
            message_of(&stolen.body)
        );
        assert!(!has_session(app, &mine).await, "({})", app.backend);

        // The callback opened twice in the browser that signed in.
        let client = browser();
        let first = sign_in(app, &client, "hal@corp.example").await;
        assert_eq!(first.status, 200);
        let again = follow(&client, first.callback()).await;
        assert_eq!(again.status, 400, "{}", again.body);
        assert!(
            again
                .body
                .contains("No sign-in was started in this browser"),
            "{}",
            message_of(&again.body)
        );

        // Even with the browser's cookie as it was before the answer, kept and sent
        // again: the state was used on the server.
        let fresh = browser();
        let r = fresh
            .get(app.url("/staff/login/oidc?login_hint=hal@corp.example"))
            .send()
            .await
            .expect("start");
        let cookie = r.headers()["set-cookie"]
            .to_str()
            .expect("cookie")
            .split(';')
            .next()
            .expect("pair")
            .to_string();
        let to_provider = r.headers()["location"]
            .to_str()
            .expect("location")
            .to_string();
        let flow = follow(&fresh, &to_provider).await;
        let callback = flow.callback().to_string();
        assert_eq!(flow.status, 200, "{}", flow.body);
        let replayed = browser()
            .get(&callback)
            .header("cookie", &cookie)
            .send()
            .await
            .expect("replay");
        assert_eq!(replayed.status(), 400);
        let body = replayed.text().await.expect("body");
        assert!(body.contains("already completed"), "{body}");
    }
}

#[actix_web::test]
async fn a_refusal_by_the_provider_is_a_clear_page() {
    let Some(o) = spawn(&Backend::Sqlite, |_| {}).await else {
        return;
    };
    let client = browser();
    // The test provider refuses people it does not know with `access_denied`.
    let flow = sign_in(&o.app, &client, "stranger@elsewhere.example").await;
    assert_eq!(flow.status, 403, "{}", flow.body);
    assert!(
        flow.body.contains("did not let you sign in"),
        "{}",
        flow.body
    );
    assert!(flow.callback().contains("error=access_denied"));
    assert!(!has_session(&o.app, &client).await);
}

#[actix_web::test]
async fn without_a_provider_the_sign_in_pages_do_not_exist() {
    let app = spawn_app(&Backend::Sqlite).await;
    for path in [
        "/staff/login/oidc",
        "/staff/login/oidc/callback?code=x&state=y",
    ] {
        assert_eq!(app.get(path).await.0, 404, "{path}");
    }
    let (_, page) = app.get("/staff/login").await;
    assert!(!page.contains("/staff/login/oidc"), "no button: {page}");
}

#[actix_web::test]
async fn a_provider_that_cannot_be_reached_is_a_502_page() {
    let dir = tempfile::tempdir().expect("dir");
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "portal-secret").expect("secret");
    let nobody = format!("http://127.0.0.1:{}", free_port());
    let app = spawn_app_with(&Backend::Sqlite, |s| {
        s.staff.oidc = Some(oidc_settings(&nobody, secret));
    })
    .await;
    let (status, page) = app.get("/staff/login/oidc").await;
    assert_eq!(status, 502, "{page}");
    assert!(page.contains("could not reach"), "{page}");
    // Password login still works meanwhile.
    let (email, password) = app.first_admin.clone();
    let (status, _) = Staff::anonymous(&app).login(&email, &password).await;
    assert_eq!(status, 303);
}

#[actix_web::test]
async fn with_password_login_off_only_break_glass_accounts_use_a_password() {
    for backend in backends() {
        let Some(o) = spawn(&backend, |c| c.password_login = false).await else {
            return;
        };
        let app = &o.app;
        let (_, page) = app.get("/staff/login").await;
        assert!(page.contains("Sign in with Corp ID"), "{page}");
        assert!(
            !page.contains("name=\"password\""),
            "no password form: {page}"
        );
        let (_, page) = app.get("/staff/login?password").await;
        assert!(page.contains("name=\"password\""), "asked for: {page}");

        // A handler with a password they know is refused like a wrong password.
        app.db(|c| {
            dsar_portal::staff::accounts::create(
                c,
                &app.state.hasher,
                "hal@corp.example",
                dsar_portal::domain::roles::Role::Handler,
                Some(STAFF_PASSWORD),
                "staff:test",
                dsar_portal::clock::now(),
            )
            .expect("create")
        });
        let hal = Staff::anonymous(app);
        let (status, page) = hal
            .post(
                "/staff/login?password",
                "/staff/login",
                &[("email", "hal@corp.example"), ("password", STAFF_PASSWORD)],
            )
            .await;
        assert_eq!(status, 401, "({}) {page}", app.backend);
        assert!(!has_session(app, &hal.client).await);
        // The first administrator is the break-glass account by default.
        let (email, password) = app.first_admin.clone();
        let admin = Staff::anonymous(app);
        let r = admin
            .post_response(
                "/staff/login?password",
                "/staff/login",
                &[("email", &email), ("password", &password)],
            )
            .await;
        assert_eq!(r.status(), 303, "({})", app.backend);
        assert_eq!(r.headers()["location"], "/staff/password");
        // The handler signs in through the provider instead.
        let client = browser();
        assert_eq!(sign_in(app, &client, "hal@corp.example").await.status, 200);
        assert!(has_session(app, &client).await);
    }
}
