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
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_string()
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}
