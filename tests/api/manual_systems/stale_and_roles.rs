//! Two people on one task: the second, working from a stale page, gets 409 and the
//! page again with their note kept. An auditor who does not own the task cannot act.

use super::*;
use dsar_portal::domain::manual_tasks::TaskStatus;

#[actix_web::test]
async fn a_stale_page_answers_409_and_keeps_the_note() {
    for backend in backends() {
        let app = app_with_crm(&backend).await;
        let owner = account(&app, OWNER, Role::Handler).await;
        let handler = app.staff("handler").await;
        let id = verified_request(&app, &handler, "deletion").await;
        let task = tasks_of(&app, &id).remove(0);
        let page = format!("/staff/tasks/{}", task.id);
        let (_, p) = owner.get(&page).await;
        let seen = hidden(&p, "version");
        // Meanwhile a handler gives the task to themselves.
        let (s, _) = handler
            .post(
                &page,
                &format!("{page}/reassign"),
                &[("version", &seen), ("owner", &handler.id)],
            )
            .await;
        assert_eq!(s, 303, "{}", app.backend);
        let typed = "Removed the contact and its two notes";
        let (s, body) = owner
            .post(
                &page,
                &format!("{page}/done"),
                &[("version", &seen), ("note", typed)],
            )
            .await;
        assert_eq!(s, 409, "{}", app.backend);
        assert!(body.contains(typed), "the note is kept in the textarea");
        let now = tasks_of(&app, &id).remove(0);
        assert_eq!(now.status, TaskStatus::Open);
        assert_eq!(now.owner_id.as_deref(), Some(handler.id.as_str()));
        assert!(audit_of(&app, &id)
            .iter()
            .any(|(a, d)| a == "manual_task_reassigned" && d.contains(&handler.id)));
    }
}

#[actix_web::test]
async fn an_auditor_reads_tasks_but_cannot_act_on_them() {
    for backend in backends() {
        let app = app_with_crm(&backend).await;
        let _owner = account(&app, OWNER, Role::Handler).await;
        let handler = app.staff("handler").await;
        let auditor = app.staff("auditor").await;
        let id = verified_request(&app, &handler, "deletion").await;
        let task = tasks_of(&app, &id).remove(0);
        let page = format!("/staff/tasks/{}", task.id);
        let (s, p) = auditor.get(&page).await;
        assert_eq!(s, 200, "an auditor reads ({})", app.backend);
        assert!(!p.contains(&format!("{page}/done")), "no forms offered");
        let before = (app.count("audit_events"), tasks_of(&app, &id)[0].version);
        let v = task.version.to_string();
        for (action, fields) in [
            (
                "done",
                vec![("version", v.as_str()), ("note", "Deleted it")],
            ),
            (
                "reassign",
                vec![("version", v.as_str()), ("owner", auditor.id.as_str())],
            ),
        ] {
            let (s, _) = auditor
                .post(&page, &format!("{page}/{action}"), &fields)
                .await;
            assert_eq!(s, 403, "{action} ({})", app.backend);
        }
        let (s, _) = post_file(
            &app,
            &auditor,
            &page,
            &format!("{page}/files"),
            &[("version", &v)],
            ("contact.csv", b"id\n1\n"),
        )
        .await;
        assert_eq!(s, 403);
        let path = format!("/staff/requests/{id}");
        let (s, _) = auditor.post(&path, &format!("{path}/tasks"), &[]).await;
        assert_eq!(s, 403);
        assert_eq!(
            (app.count("audit_events"), tasks_of(&app, &id)[0].version),
            before,
            "nothing changed"
        );
    }
}
