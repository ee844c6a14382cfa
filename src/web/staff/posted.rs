//! What every staff form post starts with: the body read, the session's staff member
//! found (a password still to change refuses), and the form's CSRF token checked, in
//! that order. Handlers take a `StaffPost` and then check the role they need; a post
//! about one request (`RequestPost`) has the role to work requests checked already.

use super::Form;
use crate::web::form_post::{extractor, Posted};
use crate::web::staff_session::{self as session, CurrentStaff};
use actix_session::Session;
use actix_web::web;

/// A form posted by a logged-in staff member.
pub struct StaffPost {
    pub me: CurrentStaff,
    pub form: Form,
    pub session: Session,
}

/// A form posted about the request of the path (`/staff/requests/{id}/…`) by a staff
/// member who may work requests.
pub struct RequestPost {
    pub id: String,
    pub me: CurrentStaff,
    pub form: Form,
    pub session: Session,
}

extractor!(StaffPost, |req, payload| {
    let posted = Posted::from_request(req, payload);
    Box::pin(async move {
        let posted = posted.await?;
        let me = session::current(&posted.state, &posted.session, false).await?;
        let form = posted.form()?;
        Ok(StaffPost {
            me,
            form,
            session: posted.session,
        })
    })
});

extractor!(RequestPost, |req, payload| {
    let post = StaffPost::from_request(req, payload);
    let id = web::Path::<String>::extract(req);
    Box::pin(async move {
        let StaffPost { me, form, session } = post.await?;
        me.require_worker()?;
        Ok(RequestPost {
            id: id.await?.into_inner(),
            me,
            form,
            session,
        })
    })
});
