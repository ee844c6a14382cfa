//! The pseudo-language run (see `translation`) over what an agent's filing adds: the
//! refusal of a PDF with active content, the notice the person gets when they are not
//! asked, and the staff page that says whose email was proved.

use crate::agent_web::{agent_fields, agent_submit, PDF};
use crate::helpers::*;
use crate::pseudo_language::{check_emails, page, spawn_in_pseudo_language};

/// An agent files an access request with `authority` and follows the link they get:
/// each page on the way in the pseudo-language.
pub(crate) async fn agent_files_and_verifies(app: &TestApp, authority: &str) {
    page(
        "submitted",
        agent_submit(
            app,
            "access",
            &agent_fields("access", authority),
            Some(("authority.pdf", PDF)),
        )
        .await,
        200,
    );
    let mail = app
        .email_where("to verify", |m| m.text.contains("/verify/"))
        .await;
    let verify = link_path(&mail.text, "/verify/");
    let confirm = page("confirm email", app.get(&verify).await, 200);
    page(
        "email confirmed",
        app.post_with_csrf(&confirm, &verify).await,
        200,
    );
}

#[actix_web::test]
async fn a_translation_reaches_the_notice_of_an_agents_filing() {
    let (app, _templates) = spawn_in_pseudo_language().await;
    page(
        "agent's form with a scripted PDF",
        agent_submit(
            &app,
            "access",
            &agent_fields("access", "power_of_attorney"),
            Some(("poa.pdf", crate::active_pdf::SCRIPTED_PDF)),
        )
        .await,
        422,
    );
    agent_files_and_verifies(&app, "power_of_attorney").await;
    let handler = app.staff("handler").await;
    let id = app.only_request_id();
    page(
        "request filed under a power of attorney",
        handler.get(&format!("/staff/requests/{id}")).await,
        200,
    );
    // The verification link, the status link to the agent and the person's notice.
    check_emails(&app, 3).await;
}
