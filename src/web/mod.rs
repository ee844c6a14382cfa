//! HTTP layer: thin handlers that parse, call a flow, and render.

pub mod api;
pub mod body_deadline;
pub mod client_slots;
pub mod csrf;
pub mod drp;
pub mod error_pages;
pub mod fd_limit;
pub mod form;
pub mod form_post;
pub mod headers;
pub mod language;
pub mod limit_first;
pub mod multipart;
pub mod ops;
pub mod public;
pub mod shown_errors;
pub mod staff;
pub mod staff_session;

use crate::clients::rate_limit;
use crate::error::AppError;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;
use std::net::IpAddr;

/// Largest form or JSON body accepted (the longest form is well under this).
pub const MAX_BODY: usize = 64 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(public::routes)
        .configure(api::routes)
        .configure(drp::routes)
        .configure(staff::routes)
        .configure(ops::routes);
}

/// Renders a page in `lang`, adding the organisation facts every page shows and the
/// links to the other languages.
pub fn render(
    state: &AppState,
    lang: &language::Lang,
    name: &str,
    mut ctx: Value,
) -> Result<HttpResponse, AppError> {
    let words = lang.words(state);
    if let Value::Object(map) = &mut ctx {
        map.insert("org".into(), state.org_context());
        map.insert("languages".into(), lang.links(state));
        map.entry("title")
            .or_insert_with(|| Value::String(words.phrase("titles.default", &[])));
    }
    let body = words.page(name, &ctx).map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// The client address used for rate limits: the peer, or the address the configured
/// header carries behind trusted proxies (`clients::address`).
pub fn client_ip(req: &HttpRequest, state: &AppState) -> IpAddr {
    state
        .client_ip
        .resolve(req.peer_addr().map(|a| a.ip()), req.headers())
}

/// Applies a rate limit unless limits are switched off in config.
pub fn limit(
    state: &AppState,
    req: &HttpRequest,
    bucket: rate_limit::Bucket,
) -> Result<(), AppError> {
    let rl = &state.settings.rate_limits;
    if !rl.enabled {
        return Ok(());
    }
    let per_minute = match bucket {
        rate_limit::Bucket::Intake => rl.intake_per_minute,
        rate_limit::Bucket::TokenPages => rl.token_pages_per_minute,
        rate_limit::Bucket::Login => rl.login_per_minute,
        rate_limit::Bucket::Drp => rl.drp_per_minute,
    };
    state.limiter.hit(bucket, client_ip(req, state), per_minute)
}

/// Decodes an urlencoded body into name/value pairs. Malformed percent-escapes and
/// invalid UTF-8 are replaced, not fatal; unknown fields are simply ignored by callers.
pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// `with_conn` for intake writes: `f` runs in a group-commit writer's next batch, in a
/// transaction of its own (a savepoint), and its result comes back after the batch
/// committed (see `db::group_commit`). `key` (a submission key) sends retries of one
/// submission to the same writer. Only for work that inserts new rows and appends audit
/// events: the batch takes the audit lock last, so a job that also locked existing rows
/// could deadlock with a staff change that holds the audit lock and waits for them.
pub async fn with_writer<T, F>(
    state: &web::Data<AppState>,
    key: Option<&str>,
    f: F,
) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&AppState, &mut crate::db::DbConn) -> Result<T, AppError> + Send + 'static,
{
    let shared = state.clone();
    state.writer.run(key, move |conn| f(&shared, conn)).await
}

/// Runs blocking database work on actix's thread pool with a pooled connection.
pub async fn with_conn<T, F>(state: &web::Data<AppState>, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&AppState, &mut crate::db::DbConn) -> Result<T, AppError> + Send + 'static,
{
    let state = state.clone();
    web::block(move || {
        let mut conn = state.pool.get()?;
        f(&state, &mut conn)
    })
    .await?
}
