//! What every page behind an emailed link starts with: the link's secret from the
//! path and the browser's session; a form posted there also has its body read and its
//! CSRF token checked before anything is looked up.

use crate::web::form::Form;
use crate::web::form_post::{extractor, FormPost};
use crate::web::language::Lang;
use actix_session::Session;
use actix_web::web;

/// A GET of a link page.
pub struct LinkPage {
    /// The link's secret (a token or a DRP handle), the route's one path segment.
    pub token: String,
    pub session: Session,
    /// The page's language (`web::language`).
    pub lang: Lang,
}

/// A form posted to a link page, its CSRF token checked.
pub struct LinkPost {
    pub token: String,
    pub session: Session,
    pub form: Form,
    pub lang: Lang,
}

extractor!(LinkPage, |req, payload| {
    let session = Session::from_request(req, payload);
    let token = web::Path::<String>::extract(req);
    let lang = Lang::of(req);
    Box::pin(async move {
        Ok(LinkPage {
            token: token.await?.into_inner(),
            session: session.await?,
            lang,
        })
    })
});

extractor!(LinkPost, |req, payload| {
    let post = FormPost::from_request(req, payload);
    let token = web::Path::<String>::extract(req);
    let lang = Lang::of(req);
    Box::pin(async move {
        let FormPost { form, session, .. } = post.await?;
        Ok(LinkPost {
            token: token.await?.into_inner(),
            session,
            form,
            lang,
        })
    })
});
