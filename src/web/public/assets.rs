//! Static files, embedded in the binary, and the organisation's logo. The stylesheet
//! ends with the configured colours (`branding.rs`), so pages need no inline style.

use crate::state::AppState;
use actix_web::{web, HttpResponse};

const STYLE: &str = include_str!("../../../static/style.css");
const QUEUE_JS: &str = include_str!("../../../static/queue.js");

pub async fn serve(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let ok = |mime: &str| {
        let mut r = HttpResponse::Ok();
        r.content_type(mime)
            .insert_header(("Cache-Control", "public, max-age=3600"));
        r
    };
    match path.as_str() {
        "style.css" => ok("text/css; charset=utf-8").body(format!("{STYLE}{}", state.branding.css)),
        "queue.js" => ok("text/javascript; charset=utf-8").body(QUEUE_JS),
        "logo" => match &state.branding.logo {
            // An SVG opened on its own must not run script or load anything.
            Some(logo) => ok(logo.content_type)
                .insert_header((
                    "Content-Security-Policy",
                    "default-src 'none'; style-src 'unsafe-inline'; sandbox",
                ))
                .body(logo.bytes.clone()),
            None => HttpResponse::NotFound().finish(),
        },
        _ => HttpResponse::NotFound().finish(),
    }
}
