//! Which language a person's page speaks, and the links that change it.
//!
//! In order: a `?lang=` link the person followed (remembered in a cookie for their next
//! pages), the cookie, and — on a page about one request — the language that request
//! was filed in; then the browser's `Accept-Language`; then the organisation's
//! default. Staff pages always speak the default language.
//!
//! The switcher is a plain link per language (no script): the same page with `lang`
//! set. A form's answer (a POST) links to the page that shows the form instead, since
//! following a link cannot send the form again.

use crate::languages::Choice;
use crate::state::AppState;
use crate::templates::Templates;
use actix_web::body::MessageBody;
use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use serde_json::{json, Value};
use std::future::{ready, Ready};

/// The cookie that remembers a language the person chose (not one guessed).
pub const COOKIE: &str = "lang";

#[derive(Debug, Clone)]
pub struct Lang {
    choice: Choice,
    /// This page's address without `lang`, for the switcher's links.
    here: String,
    /// Whether the page offers the switcher (people's pages, not staff's).
    switcher: bool,
}

impl Lang {
    /// The default language without a switcher: staff pages and staff emails.
    pub fn staff(state: &AppState) -> Lang {
        Lang {
            choice: Choice {
                code: state.languages.default_code().to_string(),
                chosen: false,
            },
            here: "/".into(),
            switcher: false,
        }
    }

    pub fn code(&self) -> &str {
        &self.choice.code
    }

    /// The code and whether the person chose it, for flows that build a page's words.
    pub fn choice(&self) -> &Choice {
        &self.choice
    }

    /// The templates this page speaks.
    pub fn words<'a>(&self, state: &'a AppState) -> &'a Templates {
        self.choice.words(&state.languages)
    }

    /// On a page about one request: that request's language, unless the person chose
    /// one here (`Choice::about_request`).
    pub fn about_request(mut self, state: &AppState, filed_in: Option<&str>) -> Lang {
        self.choice = self.choice.about_request(&state.languages, filed_in);
        self
    }

    /// The switcher's links, one per offered language in its own name; empty when only
    /// one language is offered or on staff pages.
    pub fn links(&self, state: &AppState) -> Value {
        let codes: Vec<&str> = state.languages.codes().collect();
        if !self.switcher || codes.len() < 2 {
            return json!([]);
        }
        let joiner = if self.here.contains('?') { '&' } else { '?' };
        codes
            .into_iter()
            .map(|code| {
                json!({
                    "code": code,
                    "name": state.languages.get(Some(code)).language_name(),
                    "href": format!("{}{joiner}lang={code}", self.here),
                    "current": code == self.choice.code,
                })
            })
            .collect()
    }
}

impl Lang {
    /// The language the middleware chose for this request (`remember`).
    pub fn of(req: &HttpRequest) -> Lang {
        let found = req.extensions().get::<Lang>().cloned();
        // Only staff pages and programs' paths go without: they speak the default.
        found.unwrap_or_else(|| match req.app_data::<web::Data<AppState>>() {
            Some(state) => Lang::staff(state),
            None => Lang {
                choice: Choice {
                    code: "en".into(),
                    chosen: false,
                },
                here: "/".into(),
                switcher: false,
            },
        })
    }
}

impl FromRequest for Lang {
    type Error = actix_web::Error;
    type Future = Ready<Result<Lang, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Lang::of(req)))
    }
}

/// Middleware: decides each people's page's language before its handler runs (and
/// before an error page is written), and remembers a language chosen by a link.
pub async fn remember(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let people = !is_program_or_staff(req.path());
    let mut remembered = None;
    if people {
        if let Some(state) = req.app_data::<web::Data<AppState>>().cloned() {
            let (lang, from_link) = choose(&state, req.request());
            if from_link {
                remembered = Some((lang.code().to_string(), state.settings.uses_tls()));
            }
            req.extensions_mut().insert(lang);
        }
    }
    let mut res = next.call(req).await?;
    if let Some((code, tls)) = remembered {
        let cookie = Cookie::build(COOKIE, code)
            .path("/")
            .max_age(Duration::days(365))
            .same_site(SameSite::Lax)
            .http_only(true)
            .secure(tls)
            .finish();
        if let Ok(value) = header::HeaderValue::from_str(&cookie.to_string()) {
            res.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(res)
}

fn is_program_or_staff(path: &str) -> bool {
    [
        "/staff",
        "/api/",
        "/v1/",
        "/.well-known/",
        "/static/",
        "/metrics",
        "/readyz",
    ]
    .iter()
    .any(|p| path.starts_with(p))
}

/// The page's language and whether a `?lang=` link chose it just now.
fn choose(state: &AppState, req: &HttpRequest) -> (Lang, bool) {
    let languages = &state.languages;
    let offered = |code: &str| languages.offered(code).map(|t| t.language().to_string());
    let from_link = query_lang(req.query_string()).and_then(|c| offered(&c));
    let from_cookie = req.cookie(COOKIE).and_then(|c| offered(c.value()));
    let chosen = from_link.clone().or(from_cookie);
    let code = chosen.clone().unwrap_or_else(|| {
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| languages.negotiate(h))
            .unwrap_or(languages.default_code())
            .to_string()
    });
    let lang = Lang {
        choice: Choice {
            code,
            chosen: chosen.is_some(),
        },
        here: here(req),
        switcher: true,
    };
    (lang, from_link.is_some())
}

/// `lang`'s value in a query string, if any.
fn query_lang(query: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v.into_owned())
}

/// The address the switcher links to: this page (its query kept, `lang` dropped), or
/// for a form's answer the page that shows the form.
fn here(req: &HttpRequest) -> String {
    let path = req.path();
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return form_page(path);
    }
    let query: Vec<(String, String)> = form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .filter(|(k, _)| k != "lang")
        .collect();
    if query.is_empty() {
        return path.to_string();
    }
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    format!("{path}?{query}")
}

/// The page that shows the form a POST to `path` came from.
fn form_page(path: &str) -> String {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["requests"] => "/requests/new".into(),
        // `/status/{token}/withdraw`, `/verify/{token}/resend` … → the token's page.
        [page @ ("status" | "verify"), token, _] => format!("/{page}/{token}"),
        _ => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_answer_links_to_the_form() {
        assert_eq!(form_page("/requests"), "/requests/new");
        assert_eq!(form_page("/status/abc/withdraw"), "/status/abc");
        assert_eq!(form_page("/verify/abc/resend"), "/verify/abc");
        assert_eq!(form_page("/opt-out"), "/opt-out");
    }

    #[test]
    fn the_lang_parameter_is_read_from_the_query() {
        assert_eq!(query_lang("a=1&lang=de"), Some("de".into()));
        assert_eq!(query_lang("language=de"), None);
    }
}
