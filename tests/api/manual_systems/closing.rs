//! A request that closes cancels its open tasks, each cancellation audited; a task
//! already done stays done.

use super::*;
use dsar_portal::domain::manual_tasks::TaskStatus;

#[actix_web::test]
async fn a_refused_request_cancels_its_open_tasks() {
    for backend in backends() {
        let app = app_with_crm(&backend).await;
        let _owner = account(&app, OWNER, Role::Handler).await;
        let handler = app.staff("handler").await;
        let id = verified_request(&app, &handler, "deletion").await;
        assert_eq!(tasks_of(&app, &id)[0].status, TaskStatus::Open);
        let (s, body) = handler
            .act(
                &id,
                &[
                    ("action", "deny"),
                    ("code", "exemption_legal_obligation"),
                    (
                        "message",
                        "We hold a legal obligation to keep these records.",
                    ),
                ],
            )
            .await;
        assert_eq!(s, 303, "{body}");
        let task = tasks_of(&app, &id).remove(0);
        assert_eq!(task.status, TaskStatus::Cancelled, "{}", app.backend);
        assert!(audit_of(&app, &id)
            .iter()
            .any(|(a, d)| a == "manual_task_cancelled" && d.contains(&task.id)));
        // No longer on anyone's list.
        let (_, list) = handler.get("/staff/tasks").await;
        assert!(!list.contains(&task.id));
    }
}
