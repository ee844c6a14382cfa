//! The public pages: rights overview, the two-step form, headers, GPC file.

use crate::helpers::*;

#[actix_web::test]
async fn home_explains_rights_per_place_and_links_to_the_form() {
    each_backend(|app| async move {
        let (status, page) = app.get("/").await;
        assert_eq!(status, 200);
        assert!(page.contains("Test Org"));
        for place in [
            "European Union / EEA",
            "United Kingdom",
            "California",
            "Another US state",
        ] {
            assert!(page.contains(place), "home lists {place}");
        }
        assert!(page.contains("/requests/new?jurisdiction=california&amp;kind=opt_out"));
        assert!(page.contains("Do Not Sell or Share"));
    })
    .await;
}

#[actix_web::test]
async fn the_form_offers_only_the_kinds_the_law_gives() {
    each_backend(|app| async move {
        let (status, chooser) = app.get("/requests/new").await;
        assert_eq!(status, 200);
        assert!(chooser.contains("name=\"jurisdiction\""));

        let (_, eu) = app.get("/requests/new?jurisdiction=eu").await;
        for kind in [
            "access",
            "deletion",
            "correction",
            "portability",
            "restriction",
            "objection",
            "withdraw_consent",
        ] {
            assert!(
                eu.contains(&format!("value=\"{kind}\"")),
                "EU offers {kind}"
            );
        }
        assert!(
            !eu.contains("value=\"opt_out\""),
            "no sale opt-out under the GDPR"
        );

        let (_, ca) = app.get("/requests/new?jurisdiction=california").await;
        assert!(ca.contains("value=\"opt_out\""));
        assert!(!ca.contains("value=\"portability\""));
        assert!(!ca.contains("value=\"restriction\""));
        // Declared identifiers appear with their label; labels are tied to inputs.
        assert!(ca.contains("for=\"identifiers-account_id\""));
        assert!(ca.contains("Account ID"));
        assert!(ca.contains("<label for=\"email\">"));

        // An unknown place falls back to the chooser rather than failing.
        let (status, page) = app.get("/requests/new?jurisdiction=mars").await;
        assert_eq!(status, 200);
        assert!(page.contains("Where do you live?"));
    })
    .await;
}

#[actix_web::test]
async fn every_response_carries_security_headers() {
    each_backend(|app| async move {
        let r = app.get_response("/requests/new?jurisdiction=eu").await;
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().expect("ascii");
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "same-origin");
        assert_eq!(h["cache-control"], "no-store");
        let cookie = h["set-cookie"].to_str().expect("cookie");
        assert!(cookie.contains("HttpOnly"));
        assert!(cookie.contains("SameSite=Strict"));
        // No HSTS over plain HTTP (it would be ignored, and wrong for a local trial).
        assert!(h.get("strict-transport-security").is_none());
    })
    .await;
}

#[actix_web::test]
async fn gpc_well_known_file_is_served() {
    each_backend(|app| async move {
        let r = app.get_response("/.well-known/gpc.json").await;
        assert_eq!(r.status(), 200);
        let v: serde_json::Value = r.json().await.expect("json");
        assert_eq!(v["gpc"], true);
        let date = v["lastUpdate"].as_str().expect("date");
        assert!(chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok());
    })
    .await;
}

#[actix_web::test]
async fn unknown_pages_are_404_and_the_liveness_check_answers_ok() {
    each_backend(|app| async move {
        let (status, page) = app.get("/nope").await;
        assert_eq!(status, 404);
        assert!(page.contains("could not find"));
        let (status, body) = app.get("/healthz").await;
        assert_eq!(status, 200);
        assert!(body.contains("ok"));
    })
    .await;
}
