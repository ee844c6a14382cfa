//! `POST /requests`: the request form sent, by the person or by an agent acting for
//! them (with a document proving their authority, sent as multipart).

use super::gpc;
use super::intake::{form_page, Typed};
use crate::domain::agent_filing::{self, AgentFiling, RawAgent};
use crate::domain::email_typos;
use crate::domain::filing_for::{stray_agent_fields, FilingFor};
use crate::domain::intake::{
    usable_submission_id, validate, with_agent_part, FieldErrors, RawIntake, ValidIntake,
};
use crate::domain::kinds::{Jurisdiction, RequestKind};
use crate::domain::source::Source;
use crate::error::AppError;
use crate::flows::intake::{submit_filing, Filing, Submitted};
use crate::i18n::msg;
use crate::state::AppState;
use crate::web::form::Form;
use crate::web::language::Lang;
use crate::web::multipart::{self, MultipartForm, UploadedFile};
use crate::web::MAX_BODY;
use crate::web::{render, with_writer};
use actix_session::Session;
use actix_web::HttpMessage;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde_json::json;

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let (form, upload) = read_fields(&req, &session, &state, payload).await?;
    // Honeypot: people never see this field; bots fill it. Answer as if accepted.
    if form.get("website").is_some_and(|v| !v.trim().is_empty()) {
        tracing::info!("intake honeypot triggered; submission dropped");
        let lang = Lang::of(&req);
        return render(
            &state,
            &lang,
            "pages/submitted",
            json!({"title": lang.words(&state).phrase("titles.submitted", &[]), "reference": null}),
        );
    }
    let sent = Sent::read(&form, &state);
    let (valid, agent) = match sent.check(&state, upload.as_ref()) {
        Ok(both) => both,
        Err(errors) => return sent.form_again(&state, &session, &req, &errors),
    };
    // A likely typo in the address is asked about before anything is stored.
    if sent.suggestion().is_some() {
        return sent.form_again(&state, &session, &req, &FieldErrors::new());
    }
    // An agent's opt-out is the agent's claim, not the consumer's browser signal.
    let gpc = gpc::signal(&req) && valid.kind == RequestKind::OptOut && agent.is_none();
    let email = agent
        .as_ref()
        .map_or(valid.email.as_str(), |a| a.agent.email.as_str())
        .to_string();
    let by_agent = agent.is_some();
    let lang = Lang::of(&req);
    let done = store(&state, &lang, valid, agent, gpc, sent.submission_id).await?;
    let change = (!by_agent)
        .then(|| super::change_address::allow(&session, &done))
        .flatten();
    submitted_page(
        &state,
        &lang,
        &done,
        &email,
        (gpc, by_agent),
        change.is_some(),
    )
}

/// Files the request (once per submission id: a resubmit finds the first).
pub(super) async fn store(
    state: &web::Data<AppState>,
    lang: &Lang,
    valid: ValidIntake,
    agent: Option<AgentFiling>,
    gpc: bool,
    submission_id: String,
) -> Result<Submitted, AppError> {
    let language = lang.code().to_string();
    let key = submission_id.clone();
    let done = with_writer(state, Some(&key), move |state, conn| {
        let filing = Filing {
            agent: agent.as_ref(),
            source: Source::Web,
            gpc,
            email_attested: false,
            body_digest: None,
            language: Some(&language),
        };
        submit_filing(
            state,
            conn,
            &valid,
            &filing,
            &submission_id,
            crate::clock::now(),
        )
    })
    .await?;
    if done.created {
        tracing::info!(
            kind = done.kind.as_str(),
            regime = done.regime.as_str(),
            "request received"
        );
    }
    Ok(done)
}

/// The form as it was sent: the person's part, the agent's, and the submission id.
struct Sent {
    raw: RawIntake,
    filing_for: Option<FilingFor>,
    agent: RawAgent,
    submission_id: String,
    /// The person chose to keep the address exactly as typed after a suggestion.
    kept_as_typed: bool,
}

impl Sent {
    fn read(form: &Fields, state: &AppState) -> Sent {
        let get = |name: &str| form.get(name).unwrap_or_default().to_string();
        let mut raw = RawIntake {
            kind: get("kind"),
            jurisdiction: get("jurisdiction"),
            name: get("name"),
            email: get("email"),
            details: get("details"),
            correction_current: get("correction_current"),
            correction_requested: get("correction_requested"),
            direct_marketing: form.get("direct_marketing").is_some_and(|v| v == "yes"),
            ..Default::default()
        };
        for rule in &state.identifier_rules {
            if let Some(v) = form.get(&format!("id_{}", rule.name)) {
                raw.identifiers.insert(rule.name.clone(), v.to_string());
            }
        }
        let choice = EmailChoice::read(form);
        raw.email = choice.address(raw.email);
        Sent {
            kept_as_typed: choice.kept(&raw.email),
            raw,
            filing_for: FilingFor::from_form(form.get("agent")),
            agent: RawAgent {
                name: get("agent_name"),
                email: get("agent_email"),
                organisation: get("agent_organisation"),
                registration_number: get("agent_registration_number"),
                authority: get("agent_authority"),
            },
            // A usable submission id makes resubmits idempotent.
            submission_id: form
                .get("submission_id")
                .filter(|s| usable_submission_id(s))
                .map_or_else(|| crate::crypto::tokens::random_id(16), str::to_string),
        }
    }

    /// The person's part, and the agent's when they said they are one.
    fn check(
        &self,
        state: &AppState,
        upload: Option<&UploadedFile>,
    ) -> Result<(ValidIntake, Option<AgentFiling>), FieldErrors> {
        let filing_for = self.filing_for.unwrap_or(FilingFor::Myself);
        if let Some(stray) = stray_agent_fields(filing_for, &self.agent, upload.is_some()) {
            let mut errors = validate(
                &self.raw,
                &state.settings.jurisdictions,
                &state.identifier_rules,
            )
            .err()
            .unwrap_or_default();
            errors.extend(stray);
            return Err(errors);
        }
        let person = validate(
            &self.raw,
            &state.settings.jurisdictions,
            &state.identifier_rules,
        );
        let agent = filing_for.is_agent().then(|| {
            agent_filing::validate(
                &self.agent,
                upload.map(|u| (u.filename.as_str(), u.bytes.as_slice())),
                person.as_ref().ok().map(|v| &v.email),
            )
        });
        with_agent_part(person, agent)
    }

    /// The address the person probably meant, unless they already chose to keep theirs.
    fn suggestion(&self) -> Option<String> {
        if self.kept_as_typed {
            return None;
        }
        email_typos::suggest(&self.raw.email)
    }

    /// The form again beside its errors, for the place it was sent for.
    fn form_again(
        &self,
        state: &AppState,
        session: &Session,
        req: &HttpRequest,
        errors: &FieldErrors,
    ) -> Result<HttpResponse, AppError> {
        let place = Jurisdiction::parse(&self.raw.jurisdiction)
            .filter(|j| state.settings.jurisdictions.contains(j))
            .ok_or_else(|| AppError::BadRequest(msg("errors.choose_place_again")))?;
        let suggestion = self.suggestion();
        let typed = Typed {
            consumer: &self.raw,
            filing_for: self.filing_for,
            agent: &self.agent,
            suggestion: suggestion.as_deref(),
        };
        form_page(
            state,
            session,
            req,
            place,
            &typed,
            errors,
            &self.submission_id,
        )
        .map(|(_, page)| page)
    }
}

/// The answer to "did you mean …?": the buttons `email_choice` ("suggested" or
/// "typed") and the hidden `email_typed`, the address the question was about. A choice
/// counts only for that address: one edited since is checked afresh.
pub(super) struct EmailChoice {
    choice: Option<String>,
    asked_about: Option<String>,
}

impl EmailChoice {
    pub(super) fn read(form: &impl FieldSource) -> EmailChoice {
        EmailChoice {
            choice: form.field("email_choice").map(str::to_string),
            asked_about: form.field("email_typed").map(|v| v.trim().to_string()),
        }
    }

    fn about(&self, email: &str) -> bool {
        self.asked_about.as_deref() == Some(email.trim())
    }

    /// The address to use: the suggestion when the person took it.
    pub(super) fn address(&self, email: String) -> String {
        if self.choice.as_deref() == Some("suggested") && self.about(&email) {
            return email_typos::suggest(&email).unwrap_or(email);
        }
        email
    }

    /// True when the person chose to keep `email` as they typed it.
    pub(super) fn kept(&self, email: &str) -> bool {
        self.choice.as_deref() == Some("typed") && self.about(email)
    }
}

/// Where `EmailChoice` reads its fields: either form (plain or multipart).
pub(super) trait FieldSource {
    fn field(&self, name: &str) -> Option<&str>;
}

impl FieldSource for Fields {
    fn field(&self, name: &str) -> Option<&str> {
        self.get(name)
    }
}

impl FieldSource for Form {
    fn field(&self, name: &str) -> Option<&str> {
        self.get(name)
    }
}

/// What the person reads once the request is filed: `(gpc, by_agent)` say how it came;
/// `can_change` offers "Wrong address? Change it" (this browser may replace the address
/// of the unconfirmed request).
pub(super) fn submitted_page(
    state: &AppState,
    lang: &Lang,
    done: &Submitted,
    email: &str,
    (gpc, by_agent): (bool, bool),
    can_change: bool,
) -> Result<HttpResponse, AppError> {
    let t = lang.words(state);
    render(
        state,
        lang,
        "pages/submitted",
        json!({
            "title": t.phrase("titles.submitted", &[]),
            "reference": done.reference,
            "kind_label": t.label(done.kind.label_key()),
            "needs_verification": done.kind.needs_verification(),
            "email": email,
            "regime_label": t.label(done.regime.label_key()),
            "due_on": t.date(done.due_on),
            "acknowledge_by": done.acknowledge_by.map(|d| t.date(d)),
            "link_hours": state.settings.verification.email_link_hours,
            "gpc": gpc,
            "by_agent": by_agent,
            "can_change": can_change,
        }),
    )
}

/// The request form's fields however they were sent: url-encoded (no document) or
/// multipart (the agent's document).
enum Fields {
    Plain(Form),
    Multipart(MultipartForm),
}

impl Fields {
    fn get(&self, name: &str) -> Option<&str> {
        match self {
            Fields::Plain(f) => f.get(name),
            Fields::Multipart(f) => f.get(name),
        }
    }
}

/// The fields, and the agent's document when one came with them.
async fn read_fields(
    req: &HttpRequest,
    session: &Session,
    state: &AppState,
    payload: web::Payload,
) -> Result<(Fields, Option<UploadedFile>), AppError> {
    if req
        .content_type()
        .eq_ignore_ascii_case("multipart/form-data")
    {
        let form = multipart::parse(
            req,
            session,
            state,
            multipart::bounded(req, payload),
            AGENT_DOCUMENT_FIELD,
        )
        .await?;
        let mut form = form;
        let upload = form.take_file();
        return Ok((Fields::Multipart(form), upload));
    }
    let mut body = web::BytesMut::new();
    let mut payload = payload;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| AppError::BadRequest(msg("errors.form_unreadable")))?;
        if body.len() + chunk.len() > MAX_BODY {
            return Err(AppError::TooLarge(msg("errors.form_too_large")));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((
        Fields::Plain(Form::parse(req, session, state, &body)?),
        None,
    ))
}

/// The file input of the agent's proof of authority.
const AGENT_DOCUMENT_FIELD: &str = "agent_document";
