//! Verifying a deletion creates the manual system's task for its owner, due before the
//! request; the owner finds it under "Your tasks"; "Create tasks" adds none twice.

use super::*;
use dsar_portal::domain::manual_tasks::{TaskAction, TaskStatus};

#[actix_web::test]
async fn a_verified_deletion_gives_the_owner_a_task_due_before_the_request() {
    for backend in backends() {
        let app = app_with_crm(&backend).await;
        let owner = account(&app, OWNER, Role::Handler).await;
        let handler = app.staff("handler").await;
        let id = verified_request(&app, &handler, "deletion").await;

        let found = tasks_of(&app, &id);
        assert_eq!(found.len(), 1, "one task ({})", app.backend);
        let task = &found[0];
        assert_eq!(
            (task.action, task.status),
            (TaskAction::Erase, TaskStatus::Open)
        );
        assert_eq!(task.owner_id.as_deref(), Some(owner.id.as_str()));
        let due: chrono::NaiveDate = app
            .request_field(&id, "due_on")
            .expect("due_on")
            .parse()
            .expect("date");
        let today = dsar_portal::clock::now().date();
        let expected = (due - chrono::Duration::days(5)).max(today);
        assert_eq!(task.due_on, expected, "{}", app.backend);

        // Audited with ids and codes only.
        let created: Vec<_> = audit_of(&app, &id)
            .into_iter()
            .filter(|(a, _)| a == "manual_task_created")
            .collect();
        assert_eq!(created.len(), 1);
        assert!(created[0].1.contains(&task.id) && created[0].1.contains(&owner.id));
        assert!(
            !created[0].1.contains("jane"),
            "no personal data in the audit"
        );

        // The owner sees it at the top of the queue, with the instructions…
        let (s, queue) = owner.get("/staff").await;
        assert_eq!(s, 200);
        assert!(queue.contains("id=\"my-tasks\""), "Your tasks section");
        assert!(queue.contains(&format!("/staff/tasks/{}", task.id)));
        assert!(queue.contains("Reports, Contacts, Export as CSV."));
        // …and someone who owns nothing has no such section.
        let (_, other) = handler.get("/staff").await;
        assert!(!other.contains("id=\"my-tasks\""));

        // "Create tasks" on the request page adds nothing: the task exists.
        let path = format!("/staff/requests/{id}");
        let (s, _) = handler.post(&path, &format!("{path}/tasks"), &[]).await;
        assert_eq!(s, 303);
        assert_eq!(tasks_of(&app, &id).len(), 1, "idempotent ({})", app.backend);
    }
}

#[actix_web::test]
async fn a_system_configured_later_gets_its_task_from_the_button_once() {
    for backend in backends() {
        let app = app_with_crm(&backend).await;
        let handler = app.staff("handler").await;
        let id = verified_request(&app, &handler, "access").await;
        // A request verified before the system was configured has no task: removing
        // the one verification made gives that state.
        let task_id = tasks_of(&app, &id)[0].id.clone();
        app.exec(&format!("DELETE FROM manual_tasks WHERE id = '{task_id}'"));
        let (_, page) = handler.get(&format!("/staff/requests/{id}")).await;
        assert!(
            page.contains(&format!("/staff/requests/{id}/tasks")),
            "button offered"
        );
        // Without an owner account, the task is unassigned and the page says so.
        let path = format!("/staff/requests/{id}");
        for _ in 0..2 {
            let (s, _) = handler.post(&path, &format!("{path}/tasks"), &[]).await;
            assert_eq!(s, 303);
        }
        let found = tasks_of(&app, &id);
        assert_eq!(
            found.len(),
            1,
            "one task after two clicks ({})",
            app.backend
        );
        assert_eq!(found[0].action, TaskAction::Export);
        assert_eq!(found[0].owner_id, None);
        let (_, page) = handler.get(&path).await;
        assert!(
            page.contains("has no active staff account"),
            "unassigned said"
        );
        assert!(
            !page.contains(&format!("/staff/requests/{id}/tasks")),
            "no button now"
        );
    }
}
