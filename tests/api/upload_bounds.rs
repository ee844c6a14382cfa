//! What people who proved nothing can make the portal store: agents' documents are
//! kept at intake, so their total is capped and they go when the request closes
//! unverified.

use crate::agent_web::{agent_fields, agent_submit};
use crate::helpers::*;

/// A valid PDF of about `kib` KiB: the padding is a PDF comment before the trailer.
fn pdf_of(kib: usize) -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%".to_vec();
    pdf.extend(std::iter::repeat_n(b'x', kib * 1024));
    pdf.extend_from_slice(b"\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
    pdf
}

#[actix_web::test]
async fn unverified_uploads_are_capped_and_go_with_requests_that_close_unverified() {
    for backend in backends() {
        let app = spawn_app_with(&backend, |s| s.uploads.unverified_total_mb = 1).await;
        let fields = agent_fields("access", "signed_permission");
        let doc = pdf_of(600);

        let (status, page) =
            agent_submit(&app, "access", &fields, Some(("permission.pdf", &doc))).await;
        assert_eq!(status, 200, "{page}");

        // A second 600 KiB would pass the 1 MB held for unverified requests.
        let (status, page) =
            agent_submit(&app, "access", &fields, Some(("permission.pdf", &doc))).await;
        assert_eq!(status, 503, "{} {page}", app.backend);
        assert!(page.contains("Nothing was stored"), "{page}");
        assert_eq!(
            app.count("requests"),
            1,
            "nothing of the refused filing stays"
        );
        assert_eq!(app.count("documents"), 1);

        // The first closes unverified: its document goes with it, and room comes back.
        let id = app.only_request_id();
        app.exec(&format!(
            "UPDATE requests SET received_at = '2020-01-01 00:00:00', updated_at = '2020-01-01 00:00:00' WHERE id = '{id}'"
        ));
        let state = app.state.clone();
        let closed = app
            .db(move |c| {
                dsar_portal::flows::expiry::close_unverified(
                    &state,
                    c,
                    dsar_portal::clock::now(),
                    10,
                )
            })
            .expect("expiry pass");
        assert_eq!(closed, 1);
        assert_eq!(
            app.count("documents WHERE content_enc IS NULL AND deleted_at IS NOT NULL"),
            1,
            "the closed request's document content is deleted ({})",
            app.backend
        );
        let (status, page) =
            agent_submit(&app, "access", &fields, Some(("permission.pdf", &doc))).await;
        assert_eq!(status, 200, "{page}");
    }
}
