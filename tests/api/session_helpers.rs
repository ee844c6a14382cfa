//! Helpers of the session and login-throttle suites: capturing and replaying a staff
//! cookie, and browsers coming from chosen client addresses.

use crate::helpers::{browser_builder, encode, Staff, TestApp};

/// A browser client keeping its cookies in `jar`.
pub fn client_with_jar(jar: std::sync::Arc<reqwest::cookie::Jar>) -> reqwest::Client {
    browser_builder()
        .cookie_provider(jar)
        .build()
        .expect("client")
}

/// A browser with no session yet whose requests come from `ip` through the proxy named
/// in `client_ip_header = "X-Forwarded-For"` (tests of per-client limits).
pub fn anonymous_from(app: &TestApp, ip: &str) -> Staff {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "x-forwarded-for",
        reqwest::header::HeaderValue::from_str(ip).expect("address"),
    );
    let mut staff = Staff::anonymous(app);
    staff.client = browser_builder()
        .cookie_store(true)
        .default_headers(headers)
        .build()
        .expect("client");
    staff
}

/// The `Cookie` header a browser with `jar` sends to `app`: what an attacker who
/// captured the traffic or the browser profile could replay.
pub fn captured_cookie(app: &TestApp, jar: &reqwest::cookie::Jar) -> String {
    use reqwest::cookie::CookieStore;
    let url: reqwest::Url = app.url("/staff").parse().expect("url");
    jar.cookies(&url)
        .and_then(|v| v.to_str().ok().map(str::to_string))
        .expect("a session cookie")
}

/// Sends a request carrying only `cookie` (no jar): the replay of a captured cookie.
/// Returns the status and the `Location` header.
pub async fn replay(
    app: &TestApp,
    cookie: &str,
    path: &str,
    form: Option<&[(&str, &str)]>,
) -> (u16, String) {
    let client = browser_builder().build().expect("client");
    let rb = match form {
        None => client.get(app.url(path)),
        Some(fields) => client
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", app.address.clone())
            .body(encode(fields)),
    };
    let r = rb.header("cookie", cookie).send().await.expect("replay");
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (r.status().as_u16(), location)
}
