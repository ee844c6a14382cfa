//! Staff login, lockout, session handling and role enforcement on every staff route.

use crate::helpers::*;

#[actix_web::test]
async fn first_admin_must_choose_a_password_before_anything_else() {
    each_backend(|app| async move {
        let (email, one_time) = app.first_admin.clone();
        let admin = Staff::anonymous(&app);
        let (status, _) = admin.login(&email, &one_time).await;
        assert_eq!(status, 303);
        let r = admin.get_response("/staff").await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/staff/password");
        let (status, page) = admin
            .post(
                "/staff/password",
                "/staff/password",
                &[
                    ("current", &one_time),
                    ("new", "short"),
                    ("repeat", "short"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(page.contains("at least 12 characters"));
        let (status, _) = admin
            .post(
                "/staff/password",
                "/staff/password",
                &[
                    ("current", &one_time),
                    ("new", "my own long passphrase"),
                    ("repeat", "my own long passphrase"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(admin.get("/staff").await.0, 200);
    })
    .await;
}

#[actix_web::test]
async fn login_reveals_nothing_and_locks_after_repeated_failures() {
    each_backend(|app| async move {
        let handler = app.staff("handler").await;
        let anon = Staff::anonymous(&app);
        let (s1, unknown) = anon.login("nobody@staff.example", "whatever it is").await;
        let (s2, wrong) = anon.login(&handler.email, "not the password").await;
        assert_eq!((s1, s2), (401, 401));
        let message = |p: &str| p.contains("do not match an active account");
        assert!(
            message(&unknown) && message(&wrong),
            "same message for unknown and wrong"
        );
        for _ in 0..5 {
            anon.login(&handler.email, "still wrong").await;
        }
        // Locked now: even the right password is refused for a while.
        let (status, _) = anon.login(&handler.email, STAFF_PASSWORD).await;
        assert_eq!(status, 401);
        let locked: Option<String> = app.db(|c| {
            use diesel::prelude::*;
            use dsar_portal::db::schema::staff::dsl::*;
            staff
                .filter(email.eq(&handler.email))
                .select(locked_until)
                .first::<Option<chrono::NaiveDateTime>>(c)
                .expect("row")
                .map(|t| t.to_string())
        });
        assert!(locked.is_some());
    })
    .await;
}

#[actix_web::test]
async fn login_renews_the_session_and_logout_ends_it() {
    each_backend(|app| async move {
        let anon = Staff::anonymous(&app);
        let r = anon.get_response("/staff/login").await;
        let before = r.headers()["set-cookie"]
            .to_str()
            .expect("cookie")
            .to_string();
        let page = r.text().await.expect("body");
        let csrf = hidden(&page, "csrf_token");
        let handler_email = app.staff("handler").await.email;
        let r = anon
            .client
            .post(app.url("/staff/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(&[
                ("csrf_token", &csrf),
                ("email", &handler_email),
                ("password", STAFF_PASSWORD),
            ]))
            .send()
            .await
            .expect("POST");
        assert_eq!(r.status(), 303);
        let after = r.headers()["set-cookie"]
            .to_str()
            .expect("cookie")
            .to_string();
        assert_ne!(
            before.split(';').next(),
            after.split(';').next(),
            "fresh session at login"
        );
        assert_eq!(anon.get("/staff").await.0, 200);
        let (status, _) = anon.post("/staff", "/staff/logout", &[]).await;
        assert_eq!(status, 303);
        let r = anon.get_response("/staff").await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/staff/login");
    })
    .await;
}

#[actix_web::test]
async fn roles_are_enforced_on_the_server() {
    each_backend(|app| async move {
        let (_, _) = app.submit("eu", JANE_ACCESS).await;
        let id = app.db(|c| {
            use diesel::prelude::*;
            use dsar_portal::db::schema::requests::dsl::*;
            requests.select(id).first::<String>(c).expect("id")
        });
        let auditor = app.staff("auditor").await;
        let handler = app.staff("handler").await;
        let admin = app.staff("admin").await;

        // Everyone reads.
        for s in [&auditor, &handler, &admin] {
            assert_eq!(s.get("/staff").await.0, 200);
            assert_eq!(s.get(&format!("/staff/requests/{id}")).await.0, 200);
            assert_eq!(s.get("/staff/metrics").await.0, 200);
            assert_eq!(s.get("/staff/audit").await.0, 200);
            let (status, audit) = s.get("/staff/audit?verify=1").await;
            assert_eq!(status, 200);
            assert!(audit.contains("Hash chain intact"));
        }
        // An auditor changes nothing, even with a well-formed form.
        let (_, page) = auditor.get(&format!("/staff/requests/{id}")).await;
        assert!(
            !page.contains("name=\"action\""),
            "no action forms for auditors"
        );
        let (status, _) = auditor
            .post(
                &format!("/staff/requests/{id}"),
                &format!("/staff/requests/{id}/action"),
                &[("version", "0"), ("action", "note"), ("body", "x")],
            )
            .await;
        assert_eq!(status, 403);
        // Staff management is for admins only.
        for s in [&auditor, &handler] {
            assert_eq!(s.get("/staff/accounts").await.0, 403);
            let (status, _) = s
                .post(
                    "/staff",
                    "/staff/accounts",
                    &[("email", "x@staff.example"), ("role", "admin")],
                )
                .await;
            assert_eq!(status, 403);
            let (status, _) = s
                .post(
                    "/staff",
                    &format!("/staff/accounts/{}/disable", admin.id),
                    &[],
                )
                .await;
            assert_eq!(status, 403);
        }
        assert_eq!(admin.get("/staff/accounts").await.0, 200);
        let (status, page) = admin
            .post(
                "/staff/accounts",
                "/staff/accounts",
                &[("email", "new@staff.example"), ("role", "handler")],
            )
            .await;
        assert_eq!(status, 200);
        assert!(page.contains("One-time password"));
        // Nobody gets in without a session, on any staff route.
        let anon = Staff::anonymous(&app);
        for path in [
            "/staff",
            &format!("/staff/requests/{id}"),
            "/staff/metrics",
            "/staff/metrics.csv",
            "/staff/audit",
            "/staff/accounts",
            "/staff/password",
        ] {
            let r = anon.get_response(path).await;
            assert_eq!(r.status(), 303, "{path}");
        }
        // A disabled account is logged out at its next request.
        let (status, _) = admin
            .post(
                "/staff/accounts",
                &format!("/staff/accounts/{}/disable", handler.id),
                &[],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(handler.get_response("/staff").await.status(), 303);
    })
    .await;
}
