//! Extractors for a posted form: the body read under the body limits, the session,
//! and the form's CSRF token checked before a handler runs. `Posted` gives the parts
//! to extractors that check something in between (staff posts find the session's
//! staff member first).

use crate::state::AppState;
use crate::web::form::Form;
use actix_session::Session;
use actix_web::{web, HttpRequest};
use futures_util::future::LocalBoxFuture;

pub type Extracted<T> = LocalBoxFuture<'static, Result<T, actix_web::Error>>;

/// `impl FromRequest for $type`: `$body` turns the request and its payload into an
/// `Extracted<$type>` (start the inner extractions before the future, await inside).
macro_rules! extractor {
    ($type:ty, |$req:ident, $payload:ident| $body:expr) => {
        impl actix_web::FromRequest for $type {
            type Error = actix_web::Error;
            type Future = $crate::web::form_post::Extracted<$type>;

            fn from_request(
                $req: &actix_web::HttpRequest,
                $payload: &mut actix_web::dev::Payload,
            ) -> Self::Future {
                $body
            }
        }
    };
}
pub(crate) use extractor;

/// A posted form before its CSRF check.
pub struct Posted {
    pub req: HttpRequest,
    pub body: web::Bytes,
    pub session: Session,
    pub state: web::Data<AppState>,
}

impl Posted {
    pub fn form(&self) -> Result<Form, crate::error::AppError> {
        Form::parse(&self.req, &self.session, &self.state, &self.body)
    }
}

extractor!(Posted, |req, payload| {
    let body = web::Bytes::from_request(req, payload);
    let session = Session::from_request(req, payload);
    let req = req.clone();
    Box::pin(async move {
        let body = body.await?;
        let session = session.await?;
        let state = web::Data::<AppState>::extract(&req).await?;
        Ok(Posted {
            req,
            body,
            session,
            state,
        })
    })
});

/// A form posted by whoever holds the session (a login, a link page's button).
pub struct FormPost {
    pub form: Form,
    pub session: Session,
    /// The page's language (`web::language`; the default on staff pages).
    pub lang: crate::web::language::Lang,
}

extractor!(FormPost, |req, payload| {
    let posted = Posted::from_request(req, payload);
    let lang = crate::web::language::Lang::of(req);
    Box::pin(async move {
        let posted = posted.await?;
        let form = posted.form()?;
        Ok(FormPost {
            form,
            session: posted.session,
            lang,
        })
    })
});
