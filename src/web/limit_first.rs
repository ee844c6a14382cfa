//! Per-route rate limits that run before the handler, and so before its body is read.
//!
//! A limit checked inside a handler comes after its extractors: a `web::Bytes` route
//! reads (and waits for) the whole body first, so a refused client could still hold a
//! connection per request. Wrapped around the route, the limit answers from the head
//! alone. Each route table names its bucket beside the route, where it cannot be
//! forgotten, and the refusal takes the route's own error shape (page, API or DRP JSON).

use crate::clients::rate_limit::Bucket;
use crate::error::AppError;
use crate::state::AppState;
use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, ResponseError};
use std::future::Future;
use std::pin::Pin;

type Reply = Pin<Box<dyn Future<Output = Result<ServiceResponse, actix_web::Error>>>>;

/// The route's limit for `bucket`, refused as the error type `E` the route answers with.
pub fn limited<E, S>(
    bucket: Bucket,
) -> impl Transform<
    S,
    ServiceRequest,
    Response = ServiceResponse,
    Error = actix_web::Error,
    InitError = (),
> + 'static
where
    E: From<AppError> + ResponseError + 'static,
    S: Service<ServiceRequest, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>
        + 'static,
{
    from_fn(move |req: ServiceRequest, next: Next<BoxBody>| -> Reply {
        Box::pin(async move {
            let refused = req
                .app_data::<web::Data<AppState>>()
                .and_then(|state| super::limit(state, req.request(), bucket).err());
            match refused {
                Some(e) => Ok(req.error_response(E::from(e))),
                None => next.call(req).await,
            }
        })
    })
}
