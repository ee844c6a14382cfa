//! The owner is emailed when a task is due within two days and again each day it is
//! overdue, at most once a day, with the reference and a link but nothing about the
//! person; overdue tasks carry a flag on the tasks page and in "Your tasks".

use super::*;
use chrono::Duration;

fn reminders_queued(app: &TestApp) -> i64 {
    use dsar_portal::db::schema::outbox as o;
    app.db(|c| {
        o::table
            .filter(o::template.eq("staff_task_reminder"))
            .count()
            .get_result(c)
            .expect("count")
    })
}

fn run_reminders(app: &TestApp, at: chrono::NaiveDateTime) -> usize {
    let state = app.state.clone();
    app.db(move |c| dsar_portal::jobs::task_reminders::send(&state, c, at).expect("reminders"))
}

#[actix_web::test]
async fn owners_are_reminded_once_a_day_and_overdue_tasks_are_flagged() {
    for backend in backends() {
        let app = app_with_crm(&backend).await;
        let owner = account(&app, OWNER, Role::Handler).await;
        let handler = app.staff("handler").await;
        let id = verified_request(&app, &handler, "deletion").await;
        let task = tasks_of(&app, &id).remove(0);
        let noon = |d: chrono::NaiveDate| d.and_hms_opt(12, 0, 0).expect("time");

        // Three days before: nothing yet.
        assert_eq!(
            run_reminders(&app, noon(task.due_on - Duration::days(3))),
            0
        );
        // Two days before: one email, and not a second that day.
        let day = noon(task.due_on - Duration::days(2));
        assert_eq!(run_reminders(&app, day), 1, "{}", app.backend);
        assert_eq!(run_reminders(&app, day + Duration::hours(3)), 0);
        // Overdue: again the next days, once each.
        let late = noon(task.due_on + Duration::days(1));
        assert_eq!(run_reminders(&app, late), 1);
        assert_eq!(run_reminders(&app, late), 0);
        assert_eq!(run_reminders(&app, late + Duration::days(1)), 1);
        assert_eq!(reminders_queued(&app), 3);

        // What the owner receives: the reference and the task's link, no personal data.
        // Queued for a later moment than now, so read from the outbox itself.
        let state = app.state.clone();
        let sealed: Vec<String> = app.db(|c| {
            use dsar_portal::db::schema::outbox as o;
            o::table
                .filter(o::template.eq("staff_task_reminder"))
                .select(o::message_enc)
                .load(c)
                .expect("outbox")
        });
        let mail: serde_json::Value = serde_json::from_str(
            &state
                .cipher
                .decrypt(dsar_portal::db::models::outbox::MESSAGE_CONTEXT, &sealed[0])
                .expect("decrypt"),
        )
        .expect("json");
        let text = |k: &str| mail[k].as_str().unwrap_or_default().to_string();
        assert_eq!(text("to"), OWNER);
        assert!(text("text").contains(&format!("/staff/tasks/{}", task.id)));
        let reference = app.request_field(&id, "reference").expect("reference");
        assert!(text("subject").contains(&reference));
        assert!(
            !mail.to_string().contains("jane"),
            "nothing about the person"
        );

        // Made overdue, the task is flagged where the owner looks.
        let yesterday = dsar_portal::clock::now().date() - Duration::days(1);
        app.exec(&format!(
            "UPDATE manual_tasks SET due_on = '{yesterday}' WHERE id = '{}'",
            task.id
        ));
        for path in [
            "/staff",
            "/staff/tasks?show=overdue",
            "/staff/tasks?show=mine",
        ] {
            let (_, page) = owner.get(path).await;
            assert!(page.contains("class=\"tag overdue\""), "{path} flags it");
            assert!(page.contains(&task.id), "{path} lists it");
        }
    }
}
