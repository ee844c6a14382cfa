//! The command line: staff management and the audit-chain check, run as a real process
//! against the same database the server uses.

use crate::helpers::*;
use crate::process::run_cli;

#[actix_web::test]
async fn staff_accounts_are_managed_from_the_command_line() {
    each_backend(|app| async move {
        let (ok, out) = run_cli(&app, &["--help"], None);
        assert!(ok);
        for sub in ["serve", "migrate", "check-config", "staff", "audit"] {
            assert!(out.contains(sub), "--help lists {sub}");
        }
        let (ok, out) = run_cli(
            &app,
            &[
                "staff",
                "add",
                "--email",
                "Handler@Corp.example",
                "--role",
                "handler",
            ],
            Some("a password from stdin\n"),
        );
        assert!(ok, "{out}");
        assert!(out.contains("added handler@corp.example (handler)"));
        assert!(
            !out.contains("one-time password"),
            "a piped password is used as given"
        );
        // The piped password works at the login page.
        let anon = Staff::anonymous(&app);
        let (status, _) = anon
            .login("handler@corp.example", "a password from stdin")
            .await;
        assert_eq!(status, 303);

        let (ok, out) = run_cli(
            &app,
            &[
                "staff",
                "add",
                "--email",
                "handler@corp.example",
                "--role",
                "handler",
            ],
            Some("another long password"),
        );
        assert!(!ok && out.contains("exists already"), "{out}");
        let (ok, out) = run_cli(
            &app,
            &[
                "staff",
                "add",
                "--email",
                "x@corp.example",
                "--role",
                "root",
            ],
            None,
        );
        assert!(!ok && out.contains("root"), "{out}");
        let (ok, _) = run_cli(
            &app,
            &[
                "staff",
                "add",
                "--email",
                "weak@corp.example",
                "--role",
                "auditor",
            ],
            Some("short"),
        );
        assert!(!ok, "weak passwords are refused");

        let (ok, out) = run_cli(
            &app,
            &["staff", "reset-password", "--email", "handler@corp.example"],
            Some(""),
        );
        assert!(ok, "{out}");
        assert!(
            out.contains("one-time password"),
            "empty stdin: a password is generated and shown once"
        );
        let (ok, out) = run_cli(
            &app,
            &["staff", "disable", "--email", "handler@corp.example"],
            None,
        );
        assert!(ok, "{out}");
        let (ok, out) = run_cli(&app, &["staff", "list"], None);
        assert!(ok);
        assert!(
            out.lines()
                .any(|l| l.contains("handler@corp.example") && l.contains("disabled")),
            "{out}"
        );
        assert!(out.contains(&app.first_admin.0));
        let (status, _) = Staff::anonymous(&app)
            .login("handler@corp.example", "a password from stdin")
            .await;
        assert_eq!(status, 401, "disabled and reset");
    })
    .await;
}

#[actix_web::test]
async fn audit_verify_passes_and_fails_after_tampering() {
    each_backend(|app| async move {
        app.file_and_verify("eu", "access", "jane@example.com")
            .await;
        let (ok, out) = run_cli(&app, &["audit", "verify"], None);
        assert!(ok, "{out}");
        assert!(out.contains("intact: 3 event(s)"), "{out}");
        app.exec("UPDATE audit_events SET actor = 'someone else' WHERE seq = 2");
        let (ok, out) = run_cli(&app, &["audit", "verify"], None);
        assert!(!ok, "non-zero exit");
        assert!(out.contains("broken at event #2"), "{out}");
    })
    .await;
}

/// `check-config` (like every start) refuses a DRP validity window out of range, and
/// says which setting and what range.
#[test]
fn check_config_refuses_an_out_of_range_drp_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    for value in ["0", "61"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_dsar-portal"))
            .arg("check-config")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DSAR_DATA_DIR", dir.path())
            .env("DSAR_DRP__MAX_VALIDITY_MINUTES", value)
            .output()
            .expect("run dsar-portal");
        let text = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{value} is refused");
        assert!(
            text.contains("drp.max_validity_minutes") && text.contains("between 1 and 60"),
            "{value}: {text}"
        );
    }
}
