//! Global Privacy Control: the well-known file that tells browsers we honour the signal,
//! and the header check used by the opt-out form (CCPA §7025).

use actix_web::{HttpRequest, HttpResponse};

/// Date this portal version started honouring GPC (changes only when the policy does).
const GPC_LAST_UPDATE: &str = "2026-11-27";

pub async fn well_known() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .json(serde_json::json!({"gpc": true, "lastUpdate": GPC_LAST_UPDATE}))
}

/// True when the browser sends `Sec-GPC: 1` (exactly "1", per the specification).
pub fn signal(req: &HttpRequest) -> bool {
    req.headers()
        .get("Sec-GPC")
        .is_some_and(|v| v.as_bytes() == b"1")
}
