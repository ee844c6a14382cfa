//! `/staff/requests/new`: handlers and administrators enter a request that arrived by
//! email, phone, letter or in person (`flows::manual_entry`). Auditors may not.

use super::posted::StaffPost;
use super::{page, redirect, set_flash, Form};
use crate::domain::intake::{usable_submission_id, validate, FieldErrors, RawIntake, ValidIntake};
use crate::domain::kinds::{Jurisdiction, RequestKind};
use crate::domain::source::Source;
use crate::error::AppError;
use crate::flows::manual_entry::{self, Entered, CHANNELS};
use crate::i18n::msg;
use crate::state::AppState;
use crate::web::shown_errors::ShownErrors;
use crate::web::staff_session::{self as session, CurrentStaff};
use crate::web::with_conn;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime};
use serde_json::{json, Value};

/// The form as typed, to show again beside its errors.
#[derive(Default)]
struct Typed {
    channel: String,
    received_on: String,
    verify: String,
    /// The language of the person's emails (an offered code).
    language: String,
    submission_id: String,
    raw: RawIntake,
}

pub async fn show(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    me.require_worker()?;
    let typed = Typed {
        received_on: crate::clock::now().date().to_string(),
        verify: "email".into(),
        language: state.languages.default_code().to_string(),
        submission_id: crate::crypto::tokens::random_id(16),
        ..Typed::default()
    };
    form_page(&state, &session, &me, &typed, &FieldErrors::new())
}

pub async fn submit(state: web::Data<AppState>, post: StaffPost) -> Result<HttpResponse, AppError> {
    let StaffPost { me, form, session } = post;
    me.require_worker()?;
    let typed = Typed::read(&form, &state);
    let now = crate::clock::now();
    let (channel, received_at, valid) = match typed.check(&state, now) {
        Ok(checked) => checked,
        Err(errors) => return form_page(&state, &session, &me, &typed, &errors),
    };
    let entered = Entered {
        channel,
        received_at,
        actor: me.actor(),
        verify_by_email: typed.verify != "otherwise",
        // Only a language the portal offers; anything else means the default.
        language: state
            .languages
            .offered(&typed.language)
            .map(|t| t.language().to_string()),
    };
    // A reload of the form or a double click must not enter the request twice.
    let key = format!("staff-entry:{}:{}", me.id, typed.submission_id);
    let (submitted, id) = with_conn(&state, move |state, conn| {
        let submitted = manual_entry::enter(state, conn, &valid, &entered, &key, now)?;
        let id = crate::db::models::queue::by_reference(conn, &submitted.reference)?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound)?;
        Ok((submitted, id))
    })
    .await?;
    let t = &state.templates;
    let channel = t.label(manual_entry::channel_label_key(channel));
    let due_on = t.date(submitted.due_on);
    let entered = [
        ("reference", submitted.reference.as_str()),
        ("channel", &channel),
        ("due_on", &due_on),
    ];
    set_flash(&session, &t.phrase("staff_new_request.entered", &entered))?;
    Ok(redirect(&format!("/staff/requests/{id}")))
}

impl Typed {
    fn read(form: &Form, state: &AppState) -> Typed {
        let mut typed = Typed {
            channel: form.text("channel"),
            received_on: form.text("received_on").trim().to_string(),
            verify: form.text("verify"),
            language: form.text("language"),
            submission_id: form.text("submission_id"),
            raw: RawIntake {
                kind: form.text("kind"),
                jurisdiction: form.text("jurisdiction"),
                name: form.text("name"),
                email: form.text("email"),
                details: form.text("details"),
                ..RawIntake::default()
            },
        };
        for rule in &state.identifier_rules {
            if let Some(v) = form.get(&format!("id_{}", rule.name)) {
                typed
                    .raw
                    .identifiers
                    .insert(rule.name.clone(), v.to_string());
            }
        }
        // The form's hidden id makes a resubmit idempotent.
        if !usable_submission_id(&typed.submission_id) {
            typed.submission_id = crate::crypto::tokens::random_id(16);
        }
        typed
    }

    /// The channel, the day it arrived and the request, or every error at once.
    fn check(
        &self,
        state: &AppState,
        now: NaiveDateTime,
    ) -> Result<(Source, NaiveDateTime, ValidIntake), FieldErrors> {
        let mut errors = FieldErrors::new();
        let channel = manual_entry::parse_channel(&self.channel);
        if channel.is_none() {
            errors.insert(
                "channel".into(),
                vec![msg("staff_new_request.channel_missing")],
            );
        }
        let received_at = match NaiveDate::parse_from_str(&self.received_on, "%Y-%m-%d") {
            Ok(date) => manual_entry::received_at(date, now).map_err(|m| vec![m]),
            Err(_) => Err(vec![msg("staff_new_request.received_on_invalid")]),
        }
        .map_err(|m| errors.insert("received_on".into(), m))
        .ok();
        let valid = validate(
            &self.raw,
            &state.settings.jurisdictions,
            &state.identifier_rules,
        )
        .map_err(|e| errors.extend(e))
        .ok();
        match (channel, received_at, valid, errors.is_empty()) {
            (Some(channel), Some(received_at), Some(valid), true) => {
                Ok((channel, received_at, valid))
            }
            _ => Err(errors),
        }
    }
}

fn form_page(
    state: &AppState,
    session: &Session,
    me: &CurrentStaff,
    typed: &Typed,
    errors: &FieldErrors,
) -> Result<HttpResponse, AppError> {
    let shown = ShownErrors::for_staff(state, errors);
    let error_of = |field: &str| shown.of(field);
    let raw = &typed.raw;
    let options = |items: Vec<(&str, String)>, chosen: &str| -> Vec<Value> {
        items
            .into_iter()
            .map(|(value, label)| json!({"value": value, "label": label, "selected": value == chosen}))
            .collect()
    };
    let channels = CHANNELS
        .iter()
        .map(|c| {
            (
                c.as_str(),
                state.templates.label(manual_entry::channel_label_key(*c)),
            )
        })
        .collect();
    let places: Vec<Jurisdiction> = state.settings.jurisdictions.clone();
    let jurisdictions = places
        .iter()
        .map(|j| (j.as_str(), state.templates.label(j.label_key())))
        .collect();
    let kinds = RequestKind::ALL
        .iter()
        .map(|k| (k.as_str(), state.templates.label(k.label_key())))
        .collect();
    let languages: Vec<(&str, String)> = state
        .languages
        .codes()
        .map(|c| (c, state.words(Some(c)).language_name()))
        .collect();
    // One language: nothing to choose.
    let languages = if languages.len() > 1 {
        options(languages, &typed.language)
    } else {
        Vec::new()
    };
    let identifiers = shown.identifier_fields(&raw.identifiers);
    let summary = shown.summary();
    let text = |name: &str, value: &str| json!({"value": value, "error": error_of(name)});
    let ctx = json!({
        "title": state.templates.phrase("titles.staff_new_request", &[]),
        "channels": options(channels, &typed.channel),
        "channel_error": error_of("channel"),
        "received_on": text("received_on", &typed.received_on),
        "jurisdictions": options(jurisdictions, &raw.jurisdiction),
        "jurisdiction_error": error_of("jurisdiction"),
        "kinds": options(kinds, &raw.kind),
        "kind_error": error_of("kind"),
        "name": text("name", &raw.name),
        "email": text("email", &raw.email),
        "details": text("details", &raw.details),
        "identifiers": identifiers,
        "verify_otherwise": typed.verify == "otherwise",
        "languages": languages,
        "submission_id": typed.submission_id,
        "errors": summary,
        "has_errors": !errors.is_empty(),
        "max_age_days": manual_entry::MAX_AGE_DAYS,
    });
    let mut answer = page(state, session, me, "pages/staff/new_request", ctx)?;
    if !errors.is_empty() {
        *answer.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(answer)
}
