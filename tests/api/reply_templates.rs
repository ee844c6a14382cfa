//! Saved replies: administrators add, change and delete them (audited), other roles
//! may not; placeholders are checked when saved and filled from the request; the
//! request page's `?reply=` puts the text into the box of the reply's purpose.

use crate::helpers::*;

fn templates_count(app: &TestApp) -> i64 {
    app.count("reply_templates")
}

fn template_id(app: &TestApp, name: &str) -> String {
    use diesel::prelude::*;
    use dsar_portal::db::schema::reply_templates as rt;
    let name = name.to_string();
    app.db(move |c| {
        rt::table
            .filter(rt::name.eq(name))
            .select(rt::id)
            .first(c)
            .expect("template")
    })
}

fn audited(app: &TestApp, action: &str) -> i64 {
    use diesel::prelude::*;
    use dsar_portal::db::schema::audit_events as ae;
    let action = action.to_string();
    app.db(move |c| {
        ae::table
            .filter(ae::action.eq(action))
            .count()
            .get_result(c)
            .expect("count")
    })
}

const FORM: &str = "/staff/templates/new";

#[actix_web::test]
async fn admins_add_change_and_delete_saved_replies_with_an_audit_trail() {
    each_backend(|app| async move {
        let admin = app.staff("admin").await;
        let shipped = templates_count(&app);
        assert!(shipped >= 2, "defaults ship with the migration");
        let (s, list) = admin.get("/staff/templates").await;
        assert_eq!(s, 200);
        assert!(list.contains("Identity check (GDPR)"), "{list}");

        let fields = [
            ("name", "Late <b>answer</b> apology"),
            ("purpose", "message"),
            ("kind", "access"),
            ("regime", "ccpa"),
            ("body", "Sorry about {reference} at {organisation}."),
        ];
        let r = admin.post_response(FORM, "/staff/templates", &fields).await;
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(templates_count(&app), shipped + 1);
        assert_eq!(audited(&app, "reply_template_added"), 1);
        let (_, list) = admin.get("/staff/templates").await;
        assert!(
            list.contains("Saved reply “Late &lt;b&gt;answer&lt;/b&gt; apology” saved."),
            "flash, escaped: {list}"
        );
        assert!(!list.contains("<b>answer</b>"), "the name is shown as text");

        let id = template_id(&app, "Late <b>answer</b> apology");
        let edit = format!("/staff/templates/{id}");
        let (s, form) = admin.get(&edit).await;
        assert_eq!(s, 200);
        assert!(form.contains("Sorry about {reference} at {organisation}."));
        let changed = [
            ("name", "Apology"),
            ("purpose", "message"),
            ("kind", "any"),
            ("regime", "any"),
            ("body", "Sorry, {reference}."),
        ];
        assert_eq!(
            admin
                .post_response(&edit, &edit, &changed)
                .await
                .status()
                .as_u16(),
            303
        );
        assert_eq!(template_id(&app, "Apology"), id);
        assert_eq!(audited(&app, "reply_template_changed"), 1);

        let r = admin
            .post_response(&edit, &format!("{edit}/delete"), &[])
            .await;
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(templates_count(&app), shipped);
        assert_eq!(audited(&app, "reply_template_deleted"), 1);
        assert_eq!(admin.get(&edit).await.0, 404);
    })
    .await;
}

#[actix_web::test]
async fn handlers_and_auditors_read_saved_replies_but_cannot_edit_them() {
    each_backend(|app| async move {
        let admin = app.staff("admin").await;
        let id = template_id(&app, "Identity check (GDPR)");
        let edit = format!("/staff/templates/{id}");
        for role in ["handler", "auditor"] {
            let someone = app.staff(role).await;
            let (s, list) = someone.get("/staff/templates").await;
            assert_eq!(s, 200, "{role} reads the list");
            assert!(
                !list.contains("/staff/templates/new"),
                "{role} is offered no editing"
            );
            assert_eq!(someone.get(FORM).await.0, 403, "{role}");
            assert_eq!(someone.get(&edit).await.0, 403, "{role}");
            // The admin's page supplies a valid form token for the session's own post.
            let fields = [
                ("name", "Mine"),
                ("purpose", "message"),
                ("kind", "any"),
                ("regime", "any"),
                ("body", "Hello"),
            ];
            let (s, _) = someone
                .post("/staff/templates", "/staff/templates", &fields)
                .await;
            assert_eq!(s, 403, "{role} may not add");
            let (s, _) = someone
                .post("/staff/templates", &format!("{edit}/delete"), &[])
                .await;
            assert_eq!(s, 403, "{role} may not delete");
        }
        assert!(admin.get(&edit).await.1.contains("Identity check (GDPR)"));
        assert_eq!(audited(&app, "reply_template_deleted"), 0);
    })
    .await;
}

#[actix_web::test]
async fn an_unknown_placeholder_is_refused_with_the_text_kept() {
    each_backend(|app| async move {
        let admin = app.staff("admin").await;
        let before = templates_count(&app);
        let fields = [
            ("name", "Greeting"),
            ("purpose", "information"),
            ("kind", "any"),
            ("regime", "any"),
            ("body", "Dear {first_name}, about {reference}"),
        ];
        let (s, page) = admin.post(FORM, "/staff/templates", &fields).await;
        assert_eq!(s, 422);
        assert!(
            page.contains("The text uses {first_name}, which the portal cannot fill in."),
            "{page}"
        );
        assert!(page
            .contains("{reference}, {organisation}, {due_date}, {received_date}, {kind}, {law}"));
        assert!(
            page.contains(">Dear {first_name}, about {reference}</textarea>"),
            "input kept"
        );
        assert_eq!(templates_count(&app), before);

        let (s, page) = admin
            .post(
                FORM,
                "/staff/templates",
                &[
                    ("name", ""),
                    ("purpose", "bogus"),
                    ("kind", "any"),
                    ("regime", "any"),
                    ("body", "x"),
                ],
            )
            .await;
        assert_eq!(s, 422);
        assert!(
            page.contains("Give the saved reply a name.")
                && page.contains("Choose what the reply is for.")
        );
    })
    .await;
}

#[actix_web::test]
async fn a_saved_reply_fills_the_box_of_its_purpose_from_the_request() {
    each_backend(|app| async move {
        let (id, _) = verified(&app, "california", "access", "sam@example.com").await;
        let handler = app.staff("handler").await;
        let page_path = format!("/staff/requests/{id}");
        let (_, page) = handler.get(&page_path).await;
        assert!(page.contains("Use a saved reply"), "{page}");
        assert!(
            page.contains("Partial fulfilment (CCPA)"),
            "a CCPA reply suits a CCPA request"
        );
        assert!(
            !page.contains("Identity check (GDPR)"),
            "a GDPR reply does not"
        );

        let partial = template_id(&app, "Partial fulfilment (CCPA)");
        let (s, page) = handler.get(&format!("{page_path}?reply={partial}")).await;
        assert_eq!(s, 200);
        assert!(page.contains("href=\"#fulfil-message\""), "{page}");
        assert!(page.contains(&format!("<option value=\"{partial}\" selected>")));

        // The drafts the page model carries, keyed by the box's id.
        let state = app.state.clone();
        let row = app.db(|c| dsar_portal::db::models::requests::find(c, &id).expect("row"));
        let drafts = app.db(|c| {
            dsar_portal::flows::reply_templates::drafts_for(
                c,
                &state.templates,
                "Example Org",
                &row,
                &partial,
            )
            .expect("drafts")
        });
        let text = drafts.get("fulfil-message").expect("fulfil-message draft");
        assert!(text.contains(&row.reference), "{text}");
        assert!(
            text.contains("Example Org")
                && text.contains("“Get a copy of my data”")
                && !text.contains('{'),
            "{text}"
        );
        assert_eq!(drafts.len(), 1);

        // A GDPR reply on a CCPA request, or one that is gone, fills nothing.
        let gdpr = template_id(&app, "Identity check (GDPR)");
        let (s, page) = handler.get(&format!("{page_path}?reply={gdpr}")).await;
        assert_eq!(s, 200);
        assert!(!page.contains("is filled in below"));
        let (s, _) = handler
            .get(&format!("{page_path}?reply=gone&reply=twice"))
            .await;
        assert_eq!(s, 200, "an odd query never breaks the page");
    })
    .await;
}
