//! The mail path through a real SMTP server (Python's aiosmtpd, writing a Maildir):
//! mail waits in the outbox while the server is down and goes out once, when it is back.

use crate::helpers::*;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct SmtpServer {
    child: Child,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn aiosmtpd_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok && std::env::var("CI").is_ok() {
        panic!("CI must provide aiosmtpd (pip install aiosmtpd) for the SMTP test");
    }
    ok
}

fn start_smtp(port: u16, maildir: &std::path::Path) -> SmtpServer {
    let child = Command::new("python3")
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start aiosmtpd");
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "SMTP server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    SmtpServer { child }
}

fn maildir_messages(maildir: &std::path::Path) -> Vec<Email> {
    std::fs::read_dir(maildir.join("new"))
        .map(|rd| {
            rd.flatten()
                .map(|e| parse_email(&std::fs::read(e.path()).expect("read")))
                .collect()
        })
        .unwrap_or_default()
}

async fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn mail_waits_for_smtp_and_is_delivered_exactly_once() {
    if !aiosmtpd_available() {
        eprintln!("skipping: python3 -m aiosmtpd is not installed (CI installs it)");
        return;
    }
    for backend in backends() {
        let port = free_port();
        let mail_root = tempfile::tempdir().expect("maildir");
        // aiosmtpd creates the Maildir (new/, cur/, tmp/) only when the folder is new.
        let maildir = mail_root.path().join("box");
        let app = spawn_app_with(&backend, |s| {
            s.mail.smtp = Some(local_smtp(port));
            s.worker.mail_retry_base_seconds = 1;
        })
        .await;

        // SMTP is down: the request is still accepted and its email waits.
        let (status, _) = app
            .submit(
                "eu",
                &[
                    ("kind", "access"),
                    ("name", "Jane Doe"),
                    ("email", "jane@example.com"),
                ],
            )
            .await;
        assert_eq!(status, 200);
        let attempts = || {
            app.db(|c| {
                use diesel::prelude::*;
                use dsar_portal::db::schema::outbox::dsl::*;
                outbox
                    .select((status, attempts))
                    .first::<(String, i64)>(c)
                    .expect("row")
            })
        };
        wait_until("a failed attempt", || attempts().1 >= 1).await;
        assert_eq!(attempts().0, "pending", "kept for retry, not dropped");

        // SMTP comes back: the message goes out, once.
        let _smtp = start_smtp(port, &maildir);
        wait_until("delivery", || !maildir_messages(&maildir).is_empty()).await;
        wait_until("outbox marked sent", || attempts().0 == "sent").await;
        actix_web::rt::time::sleep(Duration::from_secs(2)).await;
        let delivered = maildir_messages(&maildir);
        assert_eq!(delivered.len(), 1, "no duplicate ({})", app.backend);
        assert_eq!(delivered[0].to, "jane@example.com");
        assert!(delivered[0]
            .subject
            .starts_with("Confirm your privacy request"));
        let verify = link_path(&delivered[0].text, "/verify/");
        assert_eq!(app.get(&verify).await.0, 200, "the delivered link works");
    }
}
