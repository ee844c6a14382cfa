//! Pages for consumers: the rights overview, the request form, email verification,
//! the status page and the Global Privacy Control file.

pub mod assets;
pub mod change_address;
pub mod confirm_agent;
pub mod download;
pub mod drp_confirm;
pub mod gpc;
pub mod home;
pub mod intake;
pub mod intake_submit;
pub mod link_request;
pub mod opt_out;
pub mod status;
pub mod status_messages;
pub mod verify;

use actix_web::web;

/// Link routes share one budget per client (guessing across routes counts once), and
/// every limit runs before a body is read (`web::limit_first`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    use crate::error::AppError;
    use crate::web::limit_first::limited;
    let links = || limited::<AppError, _>(Bucket::TokenPages);
    let submissions = || limited::<AppError, _>(Bucket::Intake);
    use crate::clients::rate_limit::Bucket;
    cfg.route("/", web::get().to(home::home))
        .route("/healthz", web::get().to(home::health))
        .route("/opt-out", web::get().to(opt_out::show))
        .route(
            "/opt-out",
            web::post().to(opt_out::submit).wrap(submissions()),
        )
        .route(
            "/requests/change-address",
            web::get().to(change_address::show),
        )
        .route(
            "/requests/change-address",
            web::post().to(change_address::change).wrap(submissions()),
        )
        .route("/requests/new", web::get().to(intake::new_request))
        .route(
            "/requests",
            web::post().to(intake_submit::submit).wrap(submissions()),
        )
        .route(
            "/requests/confirm/{handle}",
            web::get().to(drp_confirm::show).wrap(links()),
        )
        .route(
            "/requests/confirm/{handle}",
            web::post().to(drp_confirm::send).wrap(links()),
        )
        .route(
            "/confirm-agent/{token}",
            web::get().to(confirm_agent::show).wrap(links()),
        )
        .route(
            "/confirm-agent/{token}",
            web::post().to(confirm_agent::answer).wrap(links()),
        )
        .route("/verify/{token}", web::get().to(verify::show).wrap(links()))
        .route(
            "/verify/{token}",
            web::post().to(verify::confirm).wrap(links()),
        )
        .route(
            "/verify/{token}/resend",
            web::post().to(verify::resend).wrap(links()),
        )
        .route("/status/{token}", web::get().to(status::show).wrap(links()))
        .route(
            "/status/{token}/resend",
            web::post().to(status::resend).wrap(links()),
        )
        .route(
            "/status/{token}/withdraw",
            web::get().to(status::confirm_withdraw).wrap(links()),
        )
        .route(
            "/status/{token}/withdraw",
            web::post().to(status::withdraw).wrap(links()),
        )
        .route(
            "/status/{token}/messages",
            web::post().to(status_messages::write).wrap(links()),
        )
        .route(
            "/status/{token}/appeal",
            web::post().to(status::appeal).wrap(links()),
        )
        .route(
            "/download/{token}",
            web::get().to(download::show).wrap(links()),
        )
        .route(
            "/download/{token}",
            web::post().to(download::take).wrap(links()),
        )
        .route("/.well-known/gpc.json", web::get().to(gpc::well_known))
        .route("/static/{file}", web::get().to(assets::serve));
}
