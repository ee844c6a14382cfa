//! Pages for consumers: the rights overview, the request form, email verification,
//! the status page and the Global Privacy Control file.

pub mod assets;
pub mod confirm_agent;
pub mod download;
pub mod drp_confirm;
pub mod gpc;
pub mod home;
pub mod intake;
pub mod status;
pub mod verify;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::home))
        .route("/healthz", web::get().to(home::health))
        .route("/opt-out", web::get().to(intake::opt_out_shortcut))
        .route("/requests/new", web::get().to(intake::new_request))
        .route("/requests", web::post().to(intake::submit))
        .route(
            "/requests/confirm/{handle}",
            web::get().to(drp_confirm::show),
        )
        .route(
            "/requests/confirm/{handle}",
            web::post().to(drp_confirm::send),
        )
        .route("/confirm-agent/{token}", web::get().to(confirm_agent::show))
        .route(
            "/confirm-agent/{token}",
            web::post().to(confirm_agent::answer),
        )
        .route("/verify/{token}", web::get().to(verify::show))
        .route("/verify/{token}", web::post().to(verify::confirm))
        .route("/verify/{token}/resend", web::post().to(verify::resend))
        .route("/status/{token}", web::get().to(status::show))
        .route("/status/{token}/resend", web::post().to(status::resend))
        .route("/status/{token}/withdraw", web::post().to(status::withdraw))
        .route("/status/{token}/appeal", web::post().to(status::appeal))
        .route("/download/{token}", web::get().to(download::show))
        .route("/download/{token}", web::post().to(download::take))
        .route("/.well-known/gpc.json", web::get().to(gpc::well_known))
        .route("/static/{file}", web::get().to(assets::serve));
}
