//! How many requests one client address may have in progress at once: the middleware
//! that takes a place in `clients::slots` for every request, or refuses it.
//!
//! A request holds its connection, a file descriptor and a handler until it is answered;
//! one that waits for a body holds them until `web::body_deadline` gives up. Without a
//! bound per client, one address could open thousands and starve everyone else of
//! descriptors. Over `limits.requests_per_client`, a request is answered 429 from its
//! head alone, and a body it announced is never waited for (actix closes the
//! connection after answering a request whose body it did not read).

use crate::error::AppError;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

pub async fn hold(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await.map(|r| r.map_into_left_body());
    };
    let client = super::client_ip(req.request(), &state);
    let Some(slot) = state
        .client_slots
        .take(client, state.settings.limits.requests_per_client)
    else {
        let refusal = AppError::TooManyRequests {
            retry_after_secs: 1,
        };
        return Ok(req.error_response(refusal).map_into_right_body());
    };
    let res = next.call(req).await;
    drop(slot);
    res.map(|r| r.map_into_left_body())
}
