//! A word in an enumerated column that no variant spells (a bad migration, a hand edit)
//! has one answer wherever the row is read: the internal-error page.

use crate::helpers::*;

#[actix_web::test]
async fn an_unknown_stored_kind_is_an_internal_error_on_every_page() {
    each_backend(|app| async move {
        let (id, _) = verified(&app, "california", "access", "jane@example.com").await;
        let handler = app.staff("handler").await;
        let admin = app.staff("admin").await;
        app.exec(&format!(
            "UPDATE requests SET kind = 'bogus' WHERE id = '{id}'"
        ));

        let (queue, _) = handler.get("/staff").await;
        assert_eq!(queue, 500, "the queue");
        let (page, _) = handler.get(&format!("/staff/requests/{id}")).await;
        assert_eq!(page, 500, "the request page");
        let year = chrono::Utc::now().format("%Y").to_string();
        let (metrics, _) = admin.get(&format!("/staff/metrics?year={year}")).await;
        assert_eq!(metrics, 500, "the metrics");
    })
    .await;
}
