//! Which account a sign-in reaches, with which role: from the groups claim, or only
//! accounts an administrator created.

use super::*;
use dsar_portal::domain::roles::Role;
use dsar_portal::staff::accounts;

#[actix_web::test]
async fn members_of_mapped_groups_get_an_account_with_their_groups_role() {
    for backend in backends() {
        let Some(o) = spawn(&backend, |_| {}).await else {
            return;
        };
        let app = &o.app;
        for (email, role) in [
            ("ann@corp.example", Role::Admin),
            ("hal@corp.example", Role::Handler),
            ("aud@corp.example", Role::Auditor),
        ] {
            let client = browser();
            let flow = sign_in(app, &client, email).await;
            let what = format!("{email} ({})", app.backend);
            assert_eq!(flow.status, 200, "{what}: {}", flow.body);
            // The page moves on to the queue by itself, from the portal's own site.
            assert_eq!(flow.refresh.as_deref(), Some("0; url=/staff"), "{what}");
            assert!(flow.body.contains("href=\"/staff\""), "{what}");
            let (status, queue) = {
                let r = client.get(app.url("/staff")).send().await.expect("GET");
                (r.status().as_u16(), r.text().await.expect("body"))
            };
            assert_eq!(status, 200, "{what}: the session works");
            assert!(queue.contains(email), "{what}: the queue names who is in");
            let row = account(app, email).expect("an account was created");
            assert_eq!(row.role, role, "{what}");
            assert!(!row.password_usable && !row.must_change_password, "{what}");
        }
        let added = details(app, "staff_added");
        assert_eq!(
            added.iter().filter(|d| d["via"] == "oidc").count(),
            3,
            "{added:?}"
        );
        let logins = details(app, "staff_login");
        assert_eq!(
            logins.iter().filter(|d| d["via"] == "oidc").count(),
            3,
            "{logins:?}"
        );
        assert!(
            !audit_text(app).contains("corp.example"),
            "no email address in the audit trail"
        );
        // The accounts page says they sign in through the provider only.
        let admin = browser();
        sign_in(app, &admin, "ann@corp.example").await;
        let page = admin
            .get(app.url("/staff/accounts"))
            .send()
            .await
            .expect("GET")
            .text()
            .await
            .expect("body");
        assert!(page.contains("Corp ID only"), "{page}");
        assert!(
            page.contains("Password or Corp ID"),
            "the first admin: {page}"
        );
    }
}

#[actix_web::test]
async fn an_accounts_role_follows_the_groups_and_a_one_time_password_is_voided() {
    for backend in backends() {
        let Some(o) = spawn(&backend, |_| {}).await else {
            return;
        };
        let app = &o.app;
        // An administrator added hal as an admin, with a one-time password.
        let (row, one_time) = app.db(|c| {
            accounts::create(
                c,
                &app.state.hasher,
                "hal@corp.example",
                Role::Admin,
                None,
                "staff:test",
                dsar_portal::clock::now(),
            )
            .expect("create")
        });
        let one_time = one_time.expect("generated");
        let client = browser();
        let flow = sign_in(app, &client, "hal@corp.example").await;
        assert_eq!(flow.status, 200, "{}", flow.body);
        assert!(
            has_session(app, &client).await,
            "not sent to change a password"
        );
        let after = account(app, "hal@corp.example").expect("account");
        assert_eq!(after.id, row.id, "the same account");
        assert_eq!(after.role, Role::Handler, "the groups decide");
        assert_eq!(
            details(app, "staff_role_changed"),
            [json!({"staff_id": row.id, "from": "admin", "to": "handler", "via": "oidc"})]
        );
        assert_eq!(
            details(app, "staff_login").last().expect("login")["password_retired"],
            true
        );
        // The password the administrator saw no longer logs in.
        let other = Staff::anonymous(app);
        let (status, _) = other.login("hal@corp.example", &one_time).await;
        assert_eq!(status, 401, "({})", app.backend);
        // Signing in again with the same groups changes nothing.
        sign_in(app, &browser(), "hal@corp.example").await;
        assert_eq!(details(app, "staff_role_changed").len(), 1);
    }
}

#[actix_web::test]
async fn a_person_in_no_mapped_group_or_with_an_unverified_address_gets_nothing() {
    for backend in backends() {
        let Some(o) = spawn(&backend, |_| {}).await else {
            return;
        };
        let app = &o.app;
        let accounts_before = app.count("staff");
        for (email, reason, words) in [
            (
                "nog@corp.example",
                "no_role",
                "not in a group that may use this portal",
            ),
            (
                "unv@corp.example",
                "email_unverified",
                "has not verified your email address",
            ),
        ] {
            let client = browser();
            let flow = sign_in(app, &client, email).await;
            assert_eq!(flow.status, 403, "{email}: {}", flow.body);
            assert!(flow.body.contains(words), "{email}: {}", flow.body);
            assert!(!has_session(app, &client).await, "{email}");
            assert!(account(app, email).is_none(), "{email}: no account");
            assert!(
                details(app, "staff_login_failed")
                    .iter()
                    .any(|d| d["via"] == "oidc" && d["reason"] == reason),
                "{email}"
            );
        }
        assert_eq!(app.count("staff"), accounts_before);
    }
}

#[actix_web::test]
async fn a_disabled_account_is_refused_at_its_next_sign_in() {
    for backend in backends() {
        let Some(o) = spawn(&backend, |_| {}).await else {
            return;
        };
        let app = &o.app;
        let client = browser();
        assert_eq!(sign_in(app, &client, "ann@corp.example").await.status, 200);
        assert!(has_session(app, &client).await);
        app.db(|c| {
            accounts::set_disabled(
                c,
                "ann@corp.example",
                true,
                "staff:test",
                dsar_portal::clock::now(),
            )
            .expect("disable")
        });
        assert!(
            !has_session(app, &client).await,
            "disabling ends the session"
        );
        let flow = sign_in(app, &client, "ann@corp.example").await;
        assert_eq!(flow.status, 403, "{}", flow.body);
        assert!(flow.body.contains("disabled"), "{}", flow.body);
        assert!(!has_session(app, &client).await, "({})", app.backend);
        let row = account(app, "ann@corp.example").expect("account");
        assert!(row.disabled, "the groups do not enable it again");
    }
}

#[actix_web::test]
async fn with_roles_from_accounts_only_an_admins_account_signs_in_and_keeps_its_role() {
    for backend in backends() {
        let Some(o) = spawn(&backend, |c| {
            c.roles = RoleSource::Accounts;
            c.role_claim = None;
            c.groups = RoleGroups::default();
        })
        .await
        else {
            return;
        };
        let app = &o.app;
        app.db(|c| {
            accounts::create(
                c,
                &app.state.hasher,
                "pat@corp.example",
                Role::Auditor,
                Some("a perfectly long password"),
                "staff:test",
                dsar_portal::clock::now(),
            )
            .expect("create")
        });
        let accounts_before = app.count("staff");
        // The provider sends " Pat@Corp.Example": matched trimmed and in any case.
        let client = browser();
        let flow = sign_in(app, &client, "pat@corp.example").await;
        assert_eq!(flow.status, 200, "{}", flow.body);
        assert!(has_session(app, &client).await);
        let pat = account(app, "pat@corp.example").expect("account");
        assert_eq!(pat.role, Role::Auditor, "the administrator's role stays");
        assert!(pat.password_usable, "a chosen password is kept");
        // An admin by the provider's groups, without an account: refused.
        let client = browser();
        let flow = sign_in(app, &client, "ann@corp.example").await;
        assert_eq!(flow.status, 403, "{}", flow.body);
        assert!(flow.body.contains("no staff account"), "{}", flow.body);
        assert!(!has_session(app, &client).await);
        assert_eq!(app.count("staff"), accounts_before, "({})", app.backend);
    }
}
