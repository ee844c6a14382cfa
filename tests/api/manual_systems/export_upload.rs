//! The owner uploads the CRM's CSV export; it lands in the access package under
//! `crm/<file name>` and is listed in the report. Active PDFs and binary files are
//! refused with a clear 4xx and nothing is stored.

use super::*;
use base64::Engine;

const CSV: &str = "id,email,name\n4411,jane@example.com,Jane Roe\n";

#[actix_web::test]
async fn an_uploaded_csv_goes_into_the_access_package() {
    for backend in backends() {
        let app = app_with_crm(&backend).await;
        let owner = account(&app, OWNER, Role::Handler).await;
        let handler = app.staff("handler").await;
        let id = verified_request(&app, &handler, "access").await;
        let task = tasks_of(&app, &id).remove(0);
        let page = format!("/staff/tasks/{}", task.id);

        // Marking it done without a file or a note is refused.
        let (_, p) = owner.get(&page).await;
        let v = hidden(&p, "version");
        let (s, _) = owner
            .post(
                &page,
                &format!("{page}/done"),
                &[("version", &v), ("note", "")],
            )
            .await;
        assert_eq!(s, 400, "{}", app.backend);

        let (s, body) = post_file(
            &app,
            &owner,
            &page,
            &format!("{page}/files"),
            &[("version", &v)],
            ("contact.csv", CSV.as_bytes()),
        )
        .await;
        assert_eq!(s, 303, "{body}");
        let (_, p) = owner.get(&page).await;
        assert!(p.contains("contact.csv"));
        // Stored encrypted: neither name nor content in clear.
        let raw: Vec<(String, Option<String>)> = app.db(|c| {
            use dsar_portal::db::schema::manual_task_files as f;
            f::table
                .select((f::name_enc, f::content_enc))
                .load(c)
                .expect("files")
        });
        assert_eq!(raw.len(), 1);
        assert!(
            !raw[0].0.contains("contact") && !raw[0].1.clone().unwrap_or_default().contains("4411")
        );

        // The request page warns while the task is open.
        let (_, rp) = handler.get(&format!("/staff/requests/{id}")).await;
        assert!(rp.contains("1 manual task is still open"), "warning shown");
        let v = hidden(&p, "version");
        let (s, _) = owner
            .post(
                &page,
                &format!("{page}/done"),
                &[("version", &v), ("note", "")],
            )
            .await;
        assert_eq!(s, 303, "done with a file ({})", app.backend);
        let (_, rp) = handler.get(&format!("/staff/requests/{id}")).await;
        assert!(!rp.contains("manual task is still open"));

        let path = format!("/staff/requests/{id}");
        let (s, body) = handler.post(&path, &format!("{path}/package"), &[]).await;
        assert_eq!(s, 303, "{body}");
        let state = app.state.clone();
        let sealed: Option<String> = app.db(|c| {
            use dsar_portal::db::schema::exports as e;
            e::table.select(e::package_enc).first(c).expect("package")
        });
        let b64 = state
            .cipher
            .decrypt(
                dsar_portal::db::models::exports::PACKAGE_CONTEXT,
                &sealed.expect("sealed"),
            )
            .expect("decrypt");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("b64");
        let mut zip = crate::helpers::Package::open(bytes);
        let csv = zip.text("crm/contact.csv");
        assert_eq!(csv, CSV, "byte for byte");
        let report = zip.text("report.html");
        assert!(report.contains("<h3>crm</h3>") && report.contains("crm/contact.csv"));
    }
}

#[actix_web::test]
async fn active_pdfs_and_binary_files_are_refused_and_nothing_is_stored() {
    for backend in backends() {
        let app = app_with_crm(&backend).await;
        let owner = account(&app, OWNER, Role::Handler).await;
        let handler = app.staff("handler").await;
        let id = verified_request(&app, &handler, "access").await;
        let task = tasks_of(&app, &id).remove(0);
        let page = format!("/staff/tasks/{}", task.id);
        let active: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
        let binary: &[u8] = b"id,name\n4411,\x00\x01\x02\xff";
        let latin1: &[u8] = b"id,name\n4411,Zo\xeb\n";
        for (name, bytes, says) in [
            ("export.pdf", active, "active content"),
            ("contact.csv", binary, "not plain text"),
            ("contact.csv", latin1, "not plain text"),
            (
                "export.zip",
                b"PK\x03\x04 not a document".as_slice(),
                "not a file we accept",
            ),
        ] {
            let (_, p) = owner.get(&page).await;
            let v = hidden(&p, "version");
            let (s, body) = post_file(
                &app,
                &owner,
                &page,
                &format!("{page}/files"),
                &[("version", &v)],
                (name, bytes),
            )
            .await;
            assert_eq!(s, 400, "{name} ({})", app.backend);
            assert!(body.contains(says), "{name}: the reason is given");
        }
        assert_eq!(app.count("manual_task_files"), 0, "nothing stored");
        assert!(audit_of(&app, &id)
            .iter()
            .all(|(a, _)| a != "manual_task_file_added"));
    }
}
