//! Errors under /staff are staff pages: the staff layout, a way back to the queue, and
//! words written for the team.

use crate::helpers::*;

#[actix_web::test]
async fn a_staff_404_is_a_staff_page_that_leads_back_to_the_queue() {
    each_backend(|app| async move {
        let handler = app.staff("handler").await;
        let (status, page) = handler.get("/staff/requests/no-such-request").await;
        assert_eq!(status, 404);
        assert!(page.contains("class=\"staff\""), "the staff layout: {page}");
        assert!(page.contains("href=\"/staff\""), "{page}");
        assert!(page.contains("Back to the queue"), "{page}");
        assert!(!page.contains("Back to the start page"), "{page}");

        // The person's pages keep theirs.
        let (status, page) = app.get("/no-such-page").await;
        assert_eq!(status, 404);
        assert!(page.contains("Back to the start page"));
        assert!(!page.contains("class=\"staff\""));
    })
    .await;
}

#[actix_web::test]
async fn a_staff_conflict_and_a_forbidden_action_use_the_staff_layout() {
    each_backend(|app| async move {
        // California: the acknowledgement went with the confirmation, so a second is refused.
        let (id, _) = verified(&app, "california", "access", "jane@example.com").await;
        let auditor = app.staff("auditor").await;
        let (status, page) = auditor.get("/staff/accounts").await;
        assert_eq!(status, 403, "{page}");
        assert!(page.contains("Back to the queue"), "{page}");
        let handler = app.staff("handler").await;
        // A refused action shows the request page again, the staff's own, with why.
        let (status, page) = handler.act(&id, &[("action", "acknowledge")]).await;
        assert_eq!(status, 409, "{page}");
        assert!(page.contains("class=\"staff\""), "{page}");
        assert!(page.contains("href=\"/staff\""), "{page}");
    })
    .await;
}

#[actix_web::test]
async fn manual_entry_errors_speak_of_the_person_not_to_them() {
    use crate::manual_entry::{days_ago, enter, phone_request};
    each_backend(|app| async move {
        let handler = app.staff("handler").await;
        let mut nameless = phone_request(&days_ago(1).to_string(), "f@example.net");
        for field in nameless.iter_mut().filter(|(k, _)| *k == "name") {
            field.1 = String::new();
        }
        let (status, page) = enter(&handler, &nameless).await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("Enter the person"), "{page}");
        assert!(!page.contains("Enter your name"), "{page}");
    })
    .await;
}
