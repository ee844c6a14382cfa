//! Guessing passwords is throttled per account and per client, a stranger cannot lock
//! the real owner out, and the first administrator's login is not the public contact.

use crate::helpers::*;
use crate::session_helpers::*;

async fn login(s: &Staff, email: &str, password: &str) -> u16 {
    s.login(email, password).await.0
}

/// A portal behind one proxy that names the client in `X-Forwarded-For`, so each test
/// browser can come from its own address.
async fn behind_a_proxy(backend: &Backend) -> TestApp {
    spawn_app_with(backend, |s| {
        s.client_ip_header = Some("X-Forwarded-For".into());
    })
    .await
}

/// The owner's browser at `ip`: it logged in to `email` before, and out again.
async fn known_browser(app: &TestApp, email: &str, ip: &str) -> Staff {
    let owner = anonymous_from(app, ip);
    assert_eq!(login(&owner, email, STAFF_PASSWORD).await, 303);
    assert_eq!(owner.post("/staff", "/staff/logout", &[]).await.0, 303);
    owner
}

#[actix_web::test]
async fn the_first_admin_logs_in_with_its_own_address_not_the_public_contact() {
    each_backend(|app| async move {
        let contact = app.state.settings.organisation.contact_email.clone();
        assert_eq!(app.first_admin.0, "admin@test-org.example");
        let (_, home) = app.get("/").await;
        assert!(home.contains(&contact), "the footer names the contact");
        assert!(!home.contains(&app.first_admin.0), "but not the login");
        let anon = Staff::anonymous(&app);
        assert_eq!(
            login(&anon, &app.first_admin.0, &app.first_admin.1).await,
            303
        );
    })
    .await;
}

#[actix_web::test]
async fn a_stranger_cannot_lock_the_owner_out_of_a_client_that_logged_in_before() {
    for backend in backends() {
        let app = behind_a_proxy(&backend).await;
        let victim = app.staff("admin").await;
        let bystander = app.staff("handler").await;
        // The owner's own browser, which logged in before (and out again).
        let owner = known_browser(&app, &victim.email, "198.51.100.7").await;
        // A stranger who read the address somewhere tries passwords for an hour.
        let stranger = anonymous_from(&app, "203.0.113.9");
        for i in 0..12 {
            let guess = format!("guess number {i}");
            assert_eq!(login(&stranger, &victim.email, &guess).await, 401);
        }
        // The account is throttled for clients it does not know...
        let unknown = anonymous_from(&app, "192.0.2.44");
        assert_eq!(
            login(&unknown, &victim.email, STAFF_PASSWORD).await,
            401,
            "locked for unknown clients ({})",
            app.backend
        );
        // ...but the owner's browser still gets in.
        assert_eq!(
            login(&owner, &victim.email, STAFF_PASSWORD).await,
            303,
            "the owner is not locked out ({})",
            app.backend
        );
        // The stranger's client is throttled for every account, even with a right
        // password, while the same account logs in from elsewhere.
        assert_eq!(
            login(&stranger, &bystander.email, STAFF_PASSWORD).await,
            401,
            "per-client limit ({})",
            app.backend
        );
        let elsewhere = anonymous_from(&app, "192.0.2.45");
        assert_eq!(
            login(&elsewhere, &bystander.email, STAFF_PASSWORD).await,
            303
        );
    }
}

#[actix_web::test]
async fn a_known_client_keeps_its_own_limit() {
    for backend in backends() {
        let app = behind_a_proxy(&backend).await;
        let victim = app.staff("handler").await;
        let owner = known_browser(&app, &victim.email, "198.51.100.8").await;
        // Someone holding the owner's browser guesses: its own limit applies.
        for i in 0..12 {
            let guess = format!("guess number {i}");
            assert_eq!(login(&owner, &victim.email, &guess).await, 401);
        }
        assert_eq!(
            login(&owner, &victim.email, STAFF_PASSWORD).await,
            401,
            "the known client's own limit ({})",
            app.backend
        );
    }
}

#[actix_web::test]
async fn wrong_current_passwords_are_counted_and_end_the_session() {
    each_backend(|app| async move {
        let handler = app.staff("handler").await;
        let mut answers = Vec::new();
        for i in 0..10 {
            let wrong = format!("not my password {i}");
            let (status, _) = handler
                .post(
                    "/staff/password",
                    "/staff/password",
                    &[
                        ("current", &wrong),
                        ("new", "a new long password 1"),
                        ("repeat", "a new long password 1"),
                    ],
                )
                .await;
            answers.push(status);
            if status != 422 {
                break;
            }
        }
        assert!(
            answers.iter().filter(|s| **s == 422).count() <= 3,
            "a few answers at most, then the session ends: {answers:?} ({})",
            app.backend
        );
        let r = handler.get_response("/staff").await;
        assert_eq!(r.status(), 303, "session ended");
        assert_eq!(r.headers()["location"], "/staff/login");
        // They counted against the account like failed logins.
        let failures: i64 = app.db(|c| {
            use diesel::prelude::*;
            use dsar_portal::db::schema::staff::dsl::*;
            staff
                .filter(id.eq(&handler.id))
                .select(failed_logins)
                .first(c)
                .expect("row")
        });
        assert!(failures >= 3, "{failures} ({})", app.backend);
    })
    .await;
}
