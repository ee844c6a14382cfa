//! What every staff form post starts with: the body read, the session's staff member
//! found (a password still to change refuses), and the form's CSRF token checked, in
//! that order. Handlers take a `StaffPost` and then check the role they need.

use super::Form;
use crate::staff::session::{self, CurrentStaff};
use crate::state::AppState;
use actix_session::Session;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

pub struct StaffPost {
    pub me: CurrentStaff,
    pub form: Form,
    pub session: Session,
}

impl FromRequest for StaffPost {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<StaffPost, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Bytes::from_request(req, payload);
        let session = Session::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let body = body.await?;
            let session = session.await?;
            let state = web::Data::<AppState>::extract(&req).await?;
            let me = session::current(&state, &session, false).await?;
            let form = Form::parse(&req, &session, &state, &body)?;
            Ok(StaffPost { me, form, session })
        })
    }
}
