//! A PDF that can run something when opened (script, automatic actions, embedded files,
//! XFA forms) is refused on the agent's form with a message on the document field, and
//! nothing is stored.

use crate::agent_web::{agent_fields, agent_submit};
use crate::helpers::*;

/// A complete PDF whose catalogue runs a script on opening, its name hex-escaped.
pub(crate) const SCRIPTED_PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /OpenAction 2 0 R >>\nendobj\n2 0 obj\n<< /S /J#61vaScript /JS (app.alert(1)) >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

#[actix_web::test]
async fn an_agents_pdf_with_active_content_is_refused_on_its_field() {
    each_backend(|app| async move {
        let fields = agent_fields("access", "signed_permission");
        let (status, page) = agent_submit(
            &app,
            "access",
            &fields,
            Some(("permission.pdf", SCRIPTED_PDF)),
        )
        .await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("id=\"agent_document-error\""), "{page}");
        assert!(page.contains("active content"), "{page}");
        assert_eq!(app.count("requests"), 0, "{}", app.backend);
        assert_eq!(app.count("documents"), 0);
    })
    .await;
}
