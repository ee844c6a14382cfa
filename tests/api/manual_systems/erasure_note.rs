//! Confirming an erasure needs a note saying what was done; the note is stored
//! encrypted and never written to the audit trail, which records the step by ids.

use super::*;
use dsar_portal::domain::manual_tasks::TaskStatus;

const NOTE: &str = "Deleted contact 4411 in Salesforce";

#[actix_web::test]
async fn an_erasure_is_confirmed_with_a_required_note() {
    for backend in backends() {
        let app = app_with_crm(&backend).await;
        let owner = account(&app, OWNER, Role::Handler).await;
        let handler = app.staff("handler").await;
        let id = verified_request(&app, &handler, "deletion").await;
        let task = tasks_of(&app, &id).remove(0);
        let page = format!("/staff/tasks/{}", task.id);
        let (_, p) = owner.get(&page).await;
        assert!(!p.contains("task-file"), "an erasure takes no file");
        let v = hidden(&p, "version");

        let (s, body) = owner
            .post(
                &page,
                &format!("{page}/done"),
                &[("version", &v), ("note", "  ")],
            )
            .await;
        assert_eq!(s, 400, "{}", app.backend);
        assert!(body.contains("the note is the only record"));
        assert_eq!(tasks_of(&app, &id)[0].status, TaskStatus::Open);

        let (s, _) = owner
            .post(
                &page,
                &format!("{page}/done"),
                &[("version", &v), ("note", NOTE)],
            )
            .await;
        assert_eq!(s, 303, "{}", app.backend);
        let done = tasks_of(&app, &id).remove(0);
        assert_eq!(done.status, TaskStatus::Done);
        assert_eq!(
            done.done_by.as_deref(),
            Some(format!("staff:{}", owner.id).as_str())
        );
        let sealed = done.note_enc.expect("note kept");
        assert!(!sealed.contains("4411"), "encrypted at rest");
        let (_, p) = owner.get(&page).await;
        assert!(p.contains(NOTE), "shown to staff");

        let events = audit_of(&app, &id);
        let finished: Vec<_> = events
            .iter()
            .filter(|(a, _)| a == "manual_task_done")
            .collect();
        assert_eq!(finished.len(), 1);
        assert!(finished[0].1.contains(&task.id));
        assert!(
            events.iter().all(|(_, d)| !d.contains("4411")),
            "no note in the audit"
        );
        // The timeline reads it in words.
        let (_, rp) = handler.get(&format!("/staff/requests/{id}")).await;
        assert!(rp.contains("Manual task done"));
    }
}
