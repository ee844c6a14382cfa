//! Posting a page's form as a browser does: the page's CSRF token first, then the form's
//! fields, with the session cookie the client keeps. Tests that post without a token, or
//! with a wrong one, build their bodies by hand on purpose.

use super::*;

/// GETs `page_url` with `client` (whose cookie jar carries the session), takes the CSRF
/// token from that page, and POSTs `fields` to `action_url` with it.
pub async fn post_page_form(
    client: &reqwest::Client,
    page_url: &str,
    action_url: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let page = client
        .get(page_url)
        .send()
        .await
        .expect("GET the form's page")
        .text()
        .await
        .expect("the form's page");
    client
        .post(action_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body_with_token(&page, fields))
        .send()
        .await
        .expect("POST")
}

/// The urlencoded body of `fields` after the CSRF token of `page` (the HTML of the page
/// holding the form).
pub fn body_with_token(page: &str, fields: &[(&str, &str)]) -> String {
    let csrf = hidden(page, "csrf_token");
    let mut all = vec![("csrf_token", csrf.as_str())];
    all.extend_from_slice(fields);
    encode(&all)
}

impl TestApp {
    /// Posts `fields` to `action` with the CSRF token of `page`, the HTML of the page
    /// holding the form (already fetched by the test, which looked at it first).
    pub async fn post_page(
        &self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> (u16, String) {
        let csrf = hidden(page, "csrf_token");
        let mut all = vec![("csrf_token", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_form(action, &all).await
    }
}

/// Posts the request form of `page` (its HTML) to `action_url` as multipart, as a browser
/// does when the form carries a file: the page's CSRF token and submission id, then
/// `fields`, then `file` in the agent's document input. Answers the status and body.
pub async fn post_request_form_multipart(
    client: &reqwest::Client,
    action_url: &str,
    page: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> (u16, String) {
    let csrf = hidden(page, "csrf_token");
    let sid = hidden(page, "submission_id");
    let mut all = vec![
        ("csrf_token", csrf.as_str()),
        ("submission_id", sid.as_str()),
    ];
    all.extend_from_slice(fields);
    let r = client
        .post(action_url)
        .header("content-type", multipart_content_type())
        .body(multipart_body(&all, file))
        .send()
        .await
        .expect("POST");
    let status = r.status().as_u16();
    (status, r.text().await.expect("body"))
}
