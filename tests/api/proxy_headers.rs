//! Behind reverse proxies, rate limits count the address the trusted proxy wrote, never
//! the left-most entries a client can forge.

use crate::helpers::*;
use dsar_portal::config::Settings;

const LIMIT: u32 = 3;

async fn app_with(proxy: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with(&Backend::Sqlite, |s| {
        s.rate_limits.token_pages_per_minute = LIMIT;
        proxy(s);
    })
    .await
}

/// GETs a link page (rate limited per client) with the given headers; the status.
async fn hit(app: &TestApp, headers: &[(&str, String)]) -> u16 {
    let mut r = app.client.get(app.url("/status/not-a-real-token"));
    for (k, v) in headers {
        r = r.header(*k, v);
    }
    r.send().await.expect("GET").status().as_u16()
}

/// `LIMIT` hits pass, the next is refused: every hit counted for one client although
/// each forged a different left-most address.
async fn spoofing_does_not_escape(app: &TestApp, header: &str, value: impl Fn(usize) -> String) {
    for i in 0..LIMIT as usize {
        let s = hit(app, &[(header, value(i))]).await;
        assert_ne!(s, 429, "hit {i} is within the limit");
    }
    assert_eq!(hit(app, &[(header, value(99))]).await, 429, "{header}");
}

#[actix_web::test]
async fn x_forwarded_for_counts_the_address_the_proxy_appended() {
    let app = app_with(|s| s.client_ip_header = Some("X-Forwarded-For".into())).await;
    spoofing_does_not_escape(&app, "X-Forwarded-For", |i| {
        format!("10.9.9.{i}, 203.0.113.5")
    })
    .await;
    // Another client behind the same proxy has its own allowance.
    let other = [("X-Forwarded-For", "203.0.113.5, 198.51.100.8".to_string())];
    assert_ne!(hit(&app, &other).await, 429);

    // Two proxies (CDN, then the local one): the second entry from the right.
    let app = app_with(|s| {
        s.client_ip_header = Some("X-Forwarded-For".into());
        s.trusted_proxies = 2;
    })
    .await;
    spoofing_does_not_escape(&app, "X-Forwarded-For", |i| {
        format!("10.9.9.{i}, 203.0.113.5, 192.0.2.1")
    })
    .await;
}

#[actix_web::test]
async fn forwarded_and_x_real_ip_and_the_older_setting() {
    let app = app_with(|s| s.client_ip_header = Some("Forwarded".into())).await;
    spoofing_does_not_escape(&app, "Forwarded", |i| {
        format!("for=10.9.9.{i}, for=203.0.113.5;proto=https")
    })
    .await;

    let app = app_with(|s| s.client_ip_header = Some("X-Real-IP".into())).await;
    for i in 0..LIMIT {
        let s = hit(&app, &[("X-Real-IP", "203.0.113.5".into())]).await;
        assert_ne!(s, 429, "hit {i}");
    }
    assert_eq!(hit(&app, &[("X-Real-IP", "203.0.113.5".into())]).await, 429);
    assert_ne!(hit(&app, &[("X-Real-IP", "203.0.113.6".into())]).await, 429);

    // `trust_proxy_headers = true` keeps working, now as X-Forwarded-For behind one proxy.
    let app = app_with(|s| s.trust_proxy_headers = true).await;
    spoofing_does_not_escape(&app, "X-Forwarded-For", |i| {
        format!("10.9.9.{i}, 203.0.113.5")
    })
    .await;
}

#[actix_web::test]
async fn without_a_configured_proxy_the_headers_are_ignored() {
    let app = app_with(|_| {}).await;
    // Every "client" is the peer 127.0.0.1, whatever the headers claim.
    for i in 0..LIMIT as usize {
        let h = [("X-Forwarded-For", format!("10.9.9.{i}"))];
        assert_ne!(hit(&app, &h).await, 429);
    }
    assert_eq!(
        hit(&app, &[("X-Real-IP", "198.51.100.1".into())]).await,
        429
    );
}

#[test]
fn a_bad_proxy_setting_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = test_settings(dir.path());
    s.client_ip_header = Some("True-Client-IP".into());
    let err = s.check().expect_err("unknown header");
    assert!(err.to_string().contains("client_ip_header"), "{err}");
    s.client_ip_header = Some("X-Forwarded-For".into());
    s.trust_proxy_headers = true;
    let err = s.check().expect_err("old and new together");
    assert!(
        err.to_string().contains("remove trust_proxy_headers"),
        "{err}"
    );
}
