//! Handlebars templates for pages and emails, in strict mode so a misspelt variable is
//! an error rather than a silently empty field.
//!
//! Built-in templates are embedded in the binary; a `templates_dir` may override any of
//! them by relative name (e.g. `emails/verify_email.txt.hbs`). HTML templates escape
//! every value; plain-text ones (email bodies and subjects) do not, since there is no
//! HTML to break — their values are validated single-line or free text.
//!
//! Words come from the language's catalogue through the `t` helper (`src/i18n.rs`);
//! every key a template uses is checked against it here, at start.

use crate::i18n::Catalogue;
use anyhow::{bail, Context};
use handlebars::{
    Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderError,
    RenderErrorReason, ScopedJson,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../templates/", $name, ".hbs")))),*]
    };
}

const HTML_TEMPLATES: &[(&str, &str)] = embedded!(
    "partials/layout",
    "partials/staff_layout",
    "partials/email_layout",
    "partials/email_button",
    "partials/email_domain",
    "partials/reply_picker",
    "partials/staff_conversation",
    "partials/task_table",
    "partials/email_suggestion",
    "exports/report",
    "pages/download",
    "pages/staff/login",
    "pages/staff/signed_in",
    "pages/staff/password",
    "pages/staff/queue",
    "pages/staff/request",
    "pages/staff/confirm_decision",
    "pages/staff/accounts",
    "pages/staff/sessions",
    "pages/staff/audit",
    "pages/staff/metrics",
    "pages/staff/agents",
    "pages/staff/new_request",
    "pages/staff/reply_templates",
    "pages/staff/reply_templates_form",
    "pages/staff/tasks",
    "pages/staff/task",
    "pages/home",
    "pages/choose_jurisdiction",
    "pages/request_form",
    "pages/submitted",
    "pages/opt_out",
    "pages/change_address",
    "pages/verify_confirm",
    "pages/drp_confirm",
    "pages/verified",
    "pages/link_problem",
    "pages/error",
    "pages/link_sent",
    "pages/status_lost",
    "pages/staff/error",
    "pages/status",
    "pages/withdraw_confirm",
    "pages/confirm_agent",
    "pages/agent_answered",
    "emails/package_ready.html",
    "emails/verify_email.html",
    "emails/request_confirmed.html",
    "emails/opt_out_received.html",
    "emails/request_closed_unverified.html",
    "emails/acknowledgement.html",
    "emails/identity_verified.html",
    "emails/info_requested.html",
    "emails/info_reminder.html",
    "emails/extended.html",
    "emails/denied.html",
    "emails/fulfilled.html",
    "emails/withdrawn.html",
    "emails/new_message.html",
    "emails/staff_message.html",
    "emails/appeal_received.html",
    "emails/staff_reminder.html",
    "emails/staff_task_reminder.html",
    "emails/staff_digest.html",
    "emails/agent_confirmation.html",
    "emails/agent_confirmed.html",
    "emails/agent_refused.html",
    "emails/agent_filed_notice.html",
    "emails/status_link.html",
);

const TEXT_TEMPLATES: &[(&str, &str)] = embedded!(
    "emails/package_ready.subject",
    "emails/package_ready.txt",
    "emails/verify_email.subject",
    "emails/verify_email.txt",
    "emails/request_confirmed.subject",
    "emails/request_confirmed.txt",
    "emails/opt_out_received.subject",
    "emails/opt_out_received.txt",
    "emails/request_closed_unverified.subject",
    "emails/request_closed_unverified.txt",
    "emails/acknowledgement.subject",
    "emails/acknowledgement.txt",
    "emails/identity_verified.subject",
    "emails/identity_verified.txt",
    "emails/info_requested.subject",
    "emails/info_requested.txt",
    "emails/info_reminder.subject",
    "emails/info_reminder.txt",
    "emails/extended.subject",
    "emails/extended.txt",
    "emails/denied.subject",
    "emails/denied.txt",
    "emails/fulfilled.subject",
    "emails/fulfilled.txt",
    "emails/withdrawn.subject",
    "emails/withdrawn.txt",
    "emails/new_message.subject",
    "emails/new_message.txt",
    "emails/staff_message.subject",
    "emails/staff_message.txt",
    "emails/appeal_received.subject",
    "emails/appeal_received.txt",
    "emails/staff_reminder.subject",
    "emails/staff_reminder.txt",
    "emails/staff_task_reminder.subject",
    "emails/staff_task_reminder.txt",
    "emails/staff_digest.subject",
    "emails/staff_digest.txt",
    "emails/agent_confirmation.subject",
    "emails/agent_confirmation.txt",
    "emails/agent_confirmed.subject",
    "emails/agent_confirmed.txt",
    "emails/agent_refused.subject",
    "emails/agent_refused.txt",
    "emails/agent_filed_notice.subject",
    "emails/agent_filed_notice.txt",
    "emails/status_link.subject",
    "emails/status_link.txt",
);

pub struct Templates {
    compiled: Arc<Compiled>,
    catalogue: Arc<Catalogue>,
    /// The catalogue's language code (`en`, `de` …), stored on requests filed in it.
    language: String,
}

/// `{{t "key" name=value}}`: the catalogue's text with its placeholders filled. Written
/// directly, the placeholder values are escaped (in HTML) and the text is not; used as a
/// subexpression (`title=(t "key")`) it gives the plain text, escaped where it is output.
struct Translate {
    escape: fn(&str) -> String,
}

/// The templates compiled once and shared by every language: the words are not in them
/// but come through `t` from the catalogue of the render in progress. (One compiled set
/// per language took about 2 MiB and 100 ms each at start.)
pub struct Compiled {
    html: Handlebars<'static>,
    text: Handlebars<'static>,
    /// Each template's name and the catalogue keys it uses, checked per language.
    keys: Vec<(&'static str, Vec<String>)>,
}

thread_local! {
    /// The catalogue of the render running on this thread, for `t`.
    static RENDERING: std::cell::RefCell<Option<Arc<Catalogue>>> =
        const { std::cell::RefCell::new(None) };
}

/// Puts `catalogue` in place for `t` while a render runs; what was there comes back after
/// (a render inside a render, or none).
struct Speaking(Option<Arc<Catalogue>>);

impl Speaking {
    fn start(catalogue: &Arc<Catalogue>) -> Speaking {
        Speaking(RENDERING.with(|r| r.replace(Some(catalogue.clone()))))
    }
}

impl Drop for Speaking {
    fn drop(&mut self) {
        RENDERING.with(|r| *r.borrow_mut() = self.0.take());
    }
}

impl Compiled {
    /// Compiles the built-in templates, or the files of `overrides` that replace them.
    pub fn load(overrides: Option<&Path>) -> anyhow::Result<Compiled> {
        let mut html = Handlebars::new();
        html.set_strict_mode(true);
        html.register_helper(
            "t",
            Box::new(Translate {
                escape: |s| handlebars::html_escape(s),
            }),
        );
        let mut text = Handlebars::new();
        text.set_strict_mode(true);
        text.register_escape_fn(handlebars::no_escape);
        text.register_helper("t", Box::new(Translate { escape: plain }));
        let mut keys = Vec::new();
        for (registry, list) in [(&mut html, HTML_TEMPLATES), (&mut text, TEXT_TEMPLATES)] {
            for (name, source) in list {
                let source = match overrides.map(|d| d.join(format!("{name}.hbs"))) {
                    Some(path) if path.exists() => std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read template {}", path.display()))?,
                    _ => (*source).to_string(),
                };
                let used = crate::i18n::keys_used(&source)
                    .into_iter()
                    .map(str::to_string)
                    .collect();
                keys.push((*name, used));
                registry
                    .register_template_string(name, source)
                    .with_context(|| format!("template {name} does not parse"))?;
            }
        }
        Ok(Compiled { html, text, keys })
    }
}

impl Translate {
    fn text(&self, h: &Helper<'_>, escape: fn(&str) -> String) -> Result<String, RenderError> {
        let key = h
            .param(0)
            .and_then(|p| p.value().as_str())
            .ok_or_else(|| RenderErrorReason::Other("t needs a key in quotes".into()))?;
        let mut params = BTreeMap::new();
        for (name, value) in h.hash() {
            // As strict as `{{name}}`: a misspelt variable is an error, not an empty text.
            if value.is_value_missing() {
                return Err(RenderErrorReason::Other(format!(
                    "{key}: {name} names a value the page does not have"
                ))
                .into());
            }
            params.insert(*name, value.render());
        }
        RENDERING.with(|r| match r.borrow().as_ref() {
            Some(catalogue) => catalogue
                .render(key, &params, escape)
                .map_err(|e| RenderErrorReason::Other(e).into()),
            None => Err(RenderErrorReason::Other("t used outside a render".into()).into()),
        })
    }
}

fn plain(s: &str) -> String {
    s.to_string()
}

impl HelperDef for Translate {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc handlebars::Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        out.write(&self.text(h, self.escape)?)?;
        Ok(())
    }

    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc handlebars::Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        Ok(ScopedJson::Derived(self.text(h, plain)?.into()))
    }
}

impl Templates {
    pub fn load(overrides: Option<&Path>, language: &str) -> anyhow::Result<Templates> {
        Templates::speaking(Arc::new(Compiled::load(overrides)?), overrides, language)
    }

    /// `compiled` in `language`: its catalogue (with `overrides`), checked to have every
    /// text the templates use.
    pub fn speaking(
        compiled: Arc<Compiled>,
        overrides: Option<&Path>,
        language: &str,
    ) -> anyhow::Result<Templates> {
        let catalogue = Arc::new(Catalogue::load(language, overrides)?);
        for (name, keys) in &compiled.keys {
            let missing: Vec<&str> = keys
                .iter()
                .map(String::as_str)
                .filter(|k| catalogue.get(k).is_none())
                .collect();
            if !missing.is_empty() {
                bail!(
                    "template {name} uses text the {language:?} catalogue lacks: {}",
                    missing.join(", ")
                );
            }
        }
        Ok(Templates {
            compiled,
            catalogue,
            language: language.to_string(),
        })
    }

    /// The language code these templates speak (`en`, `de` …).
    pub fn language(&self) -> &str {
        &self.language
    }

    /// The language's name in itself ("Deutsch"), as language choices show it.
    pub fn language_name(&self) -> String {
        self.phrase("meta.name", &[])
    }

    /// A text chosen in code (see `Catalogue::text`), in the portal's language.
    pub fn phrase(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.catalogue.text(key, args)
    }

    /// The label of a domain value from its `label_key()` (a kind, a place, a law…).
    pub fn label(&self, key: &str) -> String {
        self.catalogue.text(key, &[])
    }

    /// The portal's catalogue, for pages written without a template (the plain error page).
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// A number with one decimal, with the language's decimal separator ("2.5", "2,5").
    pub fn decimal(&self, n: f64) -> String {
        format!("{n:.1}").replace('.', &self.phrase("numbers.decimal_separator", &[]))
    }

    /// A moment on the staff pages, where times are compared at a glance: ISO date and
    /// time in UTC, with the catalogue placing them ("2026-03-04 14:05 UTC").
    pub fn timestamp(&self, t: chrono::NaiveDateTime) -> String {
        self.moment(t, "%H:%M")
    }

    /// Like `timestamp`, to the second (the audit log).
    pub fn timestamp_seconds(&self, t: chrono::NaiveDateTime) -> String {
        self.moment(t, "%H:%M:%S")
    }

    fn moment(&self, t: chrono::NaiveDateTime, time: &str) -> String {
        self.phrase(
            "dates.timestamp_utc",
            &[
                ("date", &t.format("%Y-%m-%d").to_string()),
                ("time", &t.format(time).to_string()),
            ],
        )
    }

    /// A day as the portal's language writes it in a sentence.
    pub fn date(&self, d: chrono::NaiveDate) -> String {
        self.catalogue.date(d)
    }

    /// A moment (UTC) as the portal's language writes it.
    pub fn date_time(&self, t: chrono::NaiveDateTime) -> String {
        self.catalogue.date_time(t)
    }

    /// A message chosen in code (a form error…), in the portal's language.
    pub fn message(&self, m: &crate::i18n::Message) -> String {
        m.in_words(&self.catalogue)
    }

    /// A field's messages as one text, in the portal's language.
    pub fn messages(&self, ms: &[crate::i18n::Message]) -> String {
        ms.iter()
            .map(|m| self.message(m))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A stored code as staff read it (`domain::labels`), or the code when it has no label.
    pub fn code(&self, label_key: fn(&str) -> Option<&'static str>, code: &str) -> String {
        label_key(code)
            .map(|k| self.label(k))
            .unwrap_or_else(|| code.to_string())
    }

    /// An audit action as staff read it, or its code when it has no label.
    pub fn audit_action(&self, action: &str) -> String {
        self.code(crate::domain::labels::audit_action_key, action)
    }

    /// A stored status as staff read it, or its code when it is not one.
    pub fn status(&self, status: &str) -> String {
        crate::domain::state::Status::parse(status)
            .map(|s| self.label(s.label_key()))
            .unwrap_or_else(|| status.to_string())
    }

    pub fn page<T: Serialize>(&self, name: &str, data: &T) -> anyhow::Result<String> {
        let _speaking = Speaking::start(&self.catalogue);
        Ok(self.compiled.html.render(name, data)?)
    }

    pub fn text<T: Serialize>(&self, name: &str, data: &T) -> anyhow::Result<String> {
        let _speaking = Speaking::start(&self.catalogue);
        Ok(self.compiled.text.render(name, data)?)
    }
}

/// Every built-in template's source, for the catalogue check in tests.
pub fn built_in_sources() -> impl Iterator<Item = (&'static str, &'static str)> {
    HTML_TEMPLATES.iter().chain(TEXT_TEMPLATES).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Rust sources, for the keys chosen in code (`phrase("…")`, `i18n::key("…")`).
    fn code_sources() -> Vec<String> {
        fn walk(dir: &Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).expect("src is readable").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(std::fs::read_to_string(&path).expect("source is readable"));
                }
            }
        }
        let mut out = Vec::new();
        walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
        out
    }

    /// Every key the templates and the code use is in English, and English holds no
    /// unused text.
    #[test]
    fn the_english_catalogue_matches_the_templates_and_code_exactly() {
        let en = Catalogue::load("en", None).expect("en");
        let code = code_sources();
        let mut used: std::collections::BTreeSet<&str> = built_in_sources()
            .flat_map(|(_, src)| crate::i18n::keys_used(src))
            .collect();
        used.extend(code.iter().flat_map(|src| crate::i18n::keys_in_code(src)));
        let missing: Vec<_> = used.iter().filter(|k| en.get(k).is_none()).collect();
        assert!(missing.is_empty(), "used but not in en.toml: {missing:?}");
        let unused: Vec<_> = en.keys().filter(|k| !used.contains(k)).collect();
        assert!(unused.is_empty(), "in en.toml but unused: {unused:?}");
        Templates::load(None, "en").expect("the built-in templates load");
    }

    /// Keys chosen in code reach a page as values: `{{t request.step_key}}`.
    #[test]
    fn the_key_may_be_a_value_of_the_page() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("pages")).expect("dir");
        std::fs::write(dir.path().join("pages/link_sent.hbs"), "{{t k}}|{{title}}").expect("write");
        let t = Templates::load(Some(dir.path()), "en").expect("loads");
        let page = t
            .page(
                "pages/link_sent",
                &serde_json::json!({"k": "status_steps.fulfilled", "title": t.phrase("titles.staff_request", &[("reference", "<R>")])}),
            )
            .expect("renders");
        assert_eq!(
            page,
            "Done: your request has been completed.|Request &lt;R&gt;"
        );
        assert_eq!(t.audit_action("note_added"), "Note added");
        assert_eq!(t.audit_action("something_new"), "something_new");
        assert_eq!(t.status("in_progress"), "In progress");
    }

    #[test]
    fn a_missing_key_stops_the_start_with_its_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("pages")).expect("dir");
        std::fs::write(
            dir.path().join("pages/link_sent.hbs"),
            r#"{{t "no.such.key"}}"#,
        )
        .expect("write");
        let e = Templates::load(Some(dir.path()), "en")
            .err()
            .expect("refused")
            .to_string();
        assert!(
            e.contains("no.such.key") && e.contains("pages/link_sent"),
            "{e}"
        );
    }

    #[test]
    fn numbers_and_dates_follow_the_language() {
        let english = Templates::load(None, "en").expect("en");
        assert_eq!(english.decimal(2.54), "2.5");
        let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 4).expect("date");
        assert_eq!(english.date(day), "4 March 2026");

        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("locales")).expect("dir");
        let other = include_str!("../locales/en.toml")
            .replace("decimal_separator = \".\"", "decimal_separator = \",\"")
            .replace("march = \"March\"", "march = \"März\"")
            .replace(
                "day = \"{day} {month} {year}\"",
                "day = \"{day}. {month} {year}\"",
            );
        std::fs::write(dir.path().join("locales/xx.toml"), other).expect("write");
        let translated = Templates::load(Some(dir.path()), "xx").expect("xx");
        assert_eq!(translated.decimal(2.54), "2,5");
        assert_eq!(translated.date(day), "4. März 2026");
        let moment = day.and_hms_opt(14, 5, 0).expect("time");
        assert_eq!(translated.date_time(moment), "4. März 2026, 14:05 UTC");
    }
}
