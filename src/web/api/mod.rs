//! JSON API for organisations that embed intake in their own site.

pub mod callbacks;
pub mod openapi;
pub mod requests;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    use crate::error::ApiError;
    use crate::web::limit_first::limited;
    let links = || limited::<ApiError, _>(Bucket::TokenPages);
    let submissions = || limited::<ApiError, _>(Bucket::Intake);
    use crate::clients::rate_limit::Bucket;
    cfg.route(
        "/api/v1/requests",
        web::post().to(requests::create).wrap(submissions()),
    )
    .route(
        "/api/v1/status/{token}",
        web::get().to(requests::status).wrap(links()),
    )
    .route("/api/v1/openapi.json", web::get().to(openapi::document))
    .route(
        "/api/v1/connectors/{name}/callback",
        web::post().to(callbacks::receive),
    );
}
