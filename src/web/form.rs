//! Decoding a form POST together with its CSRF check, so that no handler can read
//! fields it has not verified.

use crate::error::AppError;
use crate::state::AppState;
use actix_session::Session;

/// The fields of a form POST, available only once its CSRF token and origin checked out.
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn parse(
        req: &actix_web::HttpRequest,
        session: &Session,
        state: &AppState,
        body: &[u8],
    ) -> Result<Form, AppError> {
        let pairs = super::form_pairs(body);
        let token = pairs
            .iter()
            .find(|(k, _)| k == super::csrf::FIELD)
            .map(|(_, v)| v.as_str());
        super::csrf::verify(req, session, token, &state.public_url)?;
        Ok(Form(pairs))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        last_value(&self.0, name)
    }

    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_string()
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        all_values(&self.0, name)
    }
}

/// The last value sent for `name`, as a browser's last field of a name wins; shared
/// with the multipart form.
pub(super) fn last_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Every value sent for `name`, in order (checkboxes, multi-selects).
pub(super) fn all_values(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}
