//! The words of pages and emails, one catalogue per language (`locales/<language>.toml`),
//! used from templates as `{{t "section.key" name=value}}`.
//!
//! A catalogue's text is trusted like a template (it may hold markup such as `<strong>`);
//! the values put into its `{name}` placeholders are not, and are escaped in HTML. A key
//! a template uses that the catalogue lacks stops the portal at start (see
//! `templates::Templates::load`), so a translation cannot silently miss a sentence.
//!
//! To add a language: copy `locales/en.toml` to `locales/<code>.toml`, translate the
//! values, add it to `BUILT_IN` below — or, without rebuilding, put it in
//! `<templates_dir>/locales/<code>.toml` — and set `organisation.language`.

use anyhow::{anyhow, bail, Context};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use figment::providers::{Format, Toml};
use figment::Figment;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The catalogues shipped in the binary, English first (the reference every other
/// catalogue is checked against).
const BUILT_IN: &[(&str, &str)] = &[
    ("en", include_str!("../locales/en.toml")),
    ("de", include_str!("../locales/de.toml")),
    ("fr", include_str!("../locales/fr.toml")),
    ("es", include_str!("../locales/es.toml")),
];

/// The codes of the built-in catalogues, English first.
pub fn built_in_codes() -> impl Iterator<Item = &'static str> {
    BUILT_IN.iter().map(|(code, _)| *code)
}

/// The months' names, January first (chrono's `%B` would always be English).
const MONTHS: [&str; 12] = [
    key("dates.months.january"),
    key("dates.months.february"),
    key("dates.months.march"),
    key("dates.months.april"),
    key("dates.months.may"),
    key("dates.months.june"),
    key("dates.months.july"),
    key("dates.months.august"),
    key("dates.months.september"),
    key("dates.months.october"),
    key("dates.months.november"),
    key("dates.months.december"),
];

#[derive(Debug)]
pub struct Catalogue {
    entries: BTreeMap<String, String>,
}

impl Catalogue {
    /// The catalogue for `language`: `<overrides>/locales/<language>.toml` when it exists,
    /// else the built-in one.
    pub fn load(language: &str, overrides: Option<&Path>) -> anyhow::Result<Catalogue> {
        if language.is_empty()
            || !language
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            bail!("organisation.language = {language:?} is not a language code like \"en\"");
        }
        let file = overrides.map(|d| d.join("locales").join(format!("{language}.toml")));
        let source = match file {
            Some(path) if path.exists() => std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?,
            _ => BUILT_IN
                .iter()
                .find(|(code, _)| *code == language)
                .map(|(_, text)| text.to_string())
                .ok_or_else(|| {
                    let known: Vec<_> = BUILT_IN.iter().map(|(c, _)| *c).collect();
                    anyhow!(
                        "organisation.language = {language:?} has no catalogue (built in: {}; \
                         or add locales/{language}.toml to templates_dir)",
                        known.join(", ")
                    )
                })?,
        };
        let catalogue =
            Catalogue::parse(&source).with_context(|| format!("the {language:?} catalogue"))?;
        catalogue.check_complete(language)?;
        Ok(catalogue)
    }

    /// A translation must hold every text English has: the pages' texts are checked
    /// against the templates at start, but texts chosen in code (titles, messages, labels)
    /// only here.
    fn check_complete(&self, language: &str) -> anyhow::Result<()> {
        let missing: Vec<&str> = english().keys().filter(|k| self.get(k).is_none()).collect();
        if !missing.is_empty() {
            bail!(
                "the {language:?} catalogue lacks texts English has: {}",
                missing.join(", ")
            );
        }
        Ok(())
    }

    pub fn parse(source: &str) -> anyhow::Result<Catalogue> {
        let tree: BTreeMap<String, Value> = Figment::from(Toml::string(source))
            .extract()
            .context("not valid TOML")?;
        let mut entries = BTreeMap::new();
        for (key, value) in tree {
            flatten(&key, value, &mut entries)?;
        }
        Ok(Catalogue { entries })
    }

    /// A day as the language writes it in a sentence ("4 March 2026").
    pub fn date(&self, d: NaiveDate) -> String {
        let month = self.text(MONTHS[d.month0() as usize], &[]);
        self.text(
            key("dates.day"),
            &[
                ("day", &d.day().to_string()),
                ("month", &month),
                ("year", &d.year().to_string()),
            ],
        )
    }

    /// A moment, in UTC, as the language writes it ("4 March 2026, 14:05 UTC").
    pub fn date_time(&self, t: NaiveDateTime) -> String {
        self.text(
            key("dates.day_time_utc"),
            &[
                ("date", &self.date(t.date())),
                ("time", &t.format("%H:%M").to_string()),
            ],
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// Plain text for `key` chosen in code (a title, a message, a label), its `{name}`
    /// placeholders filled from `args`, unescaped: the page escapes it where it is shown,
    /// so these texts hold no markup. A key the catalogue lacks (which the tests and
    /// `check_complete` rule out) shows as itself rather than failing the page.
    pub fn text(&self, key: &str, args: &[(&str, &str)]) -> String {
        let params: BTreeMap<&str, String> =
            args.iter().map(|(k, v)| (*k, (*v).to_string())).collect();
        self.render(key, &params, |s| s.to_string())
            .unwrap_or_else(|e| {
                tracing::error!("{e}");
                key.to_string()
            })
    }

    /// The text for `key` with each `{name}` replaced by `escape(params[name])`.
    pub fn render(
        &self,
        key: &str,
        params: &BTreeMap<&str, String>,
        escape: fn(&str) -> String,
    ) -> Result<String, String> {
        let text = self
            .get(key)
            .ok_or_else(|| format!("no text for {key:?} in the catalogue"))?;
        interpolate(text, params, escape).map_err(|name| {
            format!("the text for {key:?} uses {{{name}}}, which the template does not give")
        })
    }
}

fn flatten(prefix: &str, value: Value, out: &mut BTreeMap<String, String>) -> anyhow::Result<()> {
    match value {
        Value::String(s) => {
            out.insert(prefix.to_string(), s);
        }
        Value::Object(map) => {
            for (k, v) in map {
                flatten(&format!("{prefix}.{k}"), v, out)?;
            }
        }
        _ => bail!("{prefix}: every value must be text"),
    }
    Ok(())
}

/// Replaces `{name}` placeholders; an unknown name is an error (returned as the name).
/// A `{` not followed by `name}` is kept as it is.
pub fn interpolate(
    text: &str,
    params: &BTreeMap<&str, String>,
    escape: fn(&str) -> String,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        if name_len > 0 && after[name_len..].starts_with('}') {
            let name = &after[..name_len];
            let value = params.get(name).ok_or_else(|| name.to_string())?;
            out.push_str(&escape(value));
            rest = &after[name_len + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The keys a template source uses: every `t "key"` right after `{{` or `(`.
pub fn keys_used(source: &str) -> Vec<&str> {
    let mut keys = Vec::new();
    // `label_key="…"`: a key handed to a partial that puts it into words.
    for opener in ["{{t \"", "(t \"", "{{~t \"", "label_key=\""] {
        let mut rest = source;
        while let Some(at) = rest.find(opener) {
            let start = &rest[at + opener.len()..];
            if let Some(end) = start.find('"') {
                keys.push(&start[..end]);
            }
            rest = start;
        }
    }
    keys
}

/// A sentence chosen in code (a form error, say) before it is put into words: its key
/// and the values of its placeholders. Pages put it into the portal's language
/// (`Templates::message`); `Display` gives the built-in English, for JSON answers of the
/// API and for logs, which stay English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
    /// Placeholders filled with another catalogue text (a place's name, say).
    pub labels: Vec<(&'static str, &'static str)>,
    /// Placeholders filled with a day, written the language's way.
    pub dates: Vec<(&'static str, NaiveDate)>,
}

/// A message with the catalogue key `key` (a literal, so the catalogue test finds it).
pub fn msg(key: &'static str) -> Message {
    Message {
        key,
        args: Vec::new(),
        labels: Vec::new(),
        dates: Vec::new(),
    }
}

impl Message {
    /// Fills the placeholder `{name}`.
    pub fn with(mut self, name: &'static str, value: impl ToString) -> Message {
        self.args.push((name, value.to_string()));
        self
    }

    /// Fills the placeholder `{name}` with the catalogue's text for `label_key`.
    pub fn with_label(mut self, name: &'static str, label_key: &'static str) -> Message {
        self.labels.push((name, label_key));
        self
    }

    /// Fills the placeholder `{name}` with a day, written the language's way.
    pub fn with_date(mut self, name: &'static str, day: NaiveDate) -> Message {
        self.dates.push((name, day));
        self
    }

    pub fn in_words(&self, catalogue: &Catalogue) -> String {
        let labels: Vec<(&str, String)> = self
            .labels
            .iter()
            .map(|(name, key)| (*name, catalogue.text(key, &[])))
            .chain(
                self.dates
                    .iter()
                    .map(|(name, d)| (*name, catalogue.date(*d))),
            )
            .collect();
        let args: Vec<(&str, &str)> = self
            .args
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .chain(labels.iter().map(|(k, v)| (*k, v.as_str())))
            .collect();
        catalogue.text(self.key, &args)
    }
}

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.in_words(english()))
    }
}

/// The built-in English catalogue, parsed once.
pub fn english() -> &'static Catalogue {
    static ENGLISH: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
    ENGLISH.get_or_init(|| {
        Catalogue::parse(BUILT_IN[0].1).unwrap_or(Catalogue {
            entries: BTreeMap::new(),
        })
    })
}

/// Marks a literal as a catalogue key chosen in code (a message or a label), so the
/// catalogue test finds it; the caller turns it into text with `Catalogue::text`.
pub const fn key(k: &'static str) -> &'static str {
    k
}

/// The keys Rust code uses: every literal right after `phrase(`, `key(` or `msg(`.
pub fn keys_in_code(source: &str) -> Vec<&str> {
    let mut keys = Vec::new();
    for opener in ["phrase(", "key(", "msg(", "say("] {
        let mut rest = source;
        while let Some(at) = rest.find(opener) {
            // `key(` but not `contains_key(`.
            let whole_word = !rest[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
            let start = rest[at + opener.len()..].trim_start();
            if let Some(literal) = start.strip_prefix('"').filter(|_| whole_word) {
                let found = literal.find('"').map(|end| &literal[..end]);
                if let Some(k) = found.filter(|k| looks_like_key(k)) {
                    keys.push(k);
                }
            }
            rest = &rest[at + opener.len()..];
        }
    }
    keys
}

fn looks_like_key(k: &str) -> bool {
    k.contains('.')
        && k.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(s: &str) -> String {
        s.to_string()
    }

    #[test]
    fn placeholders_are_filled_and_unknown_ones_refused() {
        let params = BTreeMap::from([("name", "<b>Ann</b>".to_string())]);
        let esc = |s: &str| handlebars::html_escape(s);
        assert_eq!(
            interpolate("Hello {name}, {not a placeholder}", &params, esc).expect("filled"),
            "Hello &lt;b&gt;Ann&lt;/b&gt;, {not a placeholder}"
        );
        assert_eq!(
            interpolate("{missing}", &params, plain),
            Err("missing".into())
        );
    }

    #[test]
    fn catalogues_are_flat_text_and_the_language_must_exist() {
        let c = Catalogue::parse("[a]\nb = \"x\"\n[a.c]\nd = \"y\"\n").expect("parses");
        assert_eq!(c.get("a.b"), Some("x"));
        assert_eq!(c.get("a.c.d"), Some("y"));
        assert!(Catalogue::parse("[a]\nb = 3\n").is_err());
        let e = Catalogue::load("xx", None).unwrap_err().to_string();
        assert!(e.contains("no catalogue"), "{e}");
        assert!(Catalogue::load("../etc", None).is_err());
        assert!(Catalogue::load("en", None).is_ok());
    }

    #[test]
    fn a_translation_missing_a_text_is_refused_with_its_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("locales")).expect("dir");
        std::fs::write(
            dir.path().join("locales/xx.toml"),
            "[meta]\nlang = \"xx\"\n",
        )
        .expect("write");
        let e = Catalogue::load("xx", Some(dir.path()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("lacks") && e.contains("titles.status"), "{e}");
    }

    #[test]
    fn messages_fill_values_and_labels_and_display_in_english() {
        let m = msg("intake.kind_not_offered").with_label("place", "places.uk");
        assert_eq!(
            m.to_string(),
            "This kind of request is not available for United Kingdom."
        );
        let m = msg("intake.name_too_long").with("max", 200);
        assert_eq!(
            m.in_words(english()),
            "That name is too long (at most 200 characters)."
        );
    }

    #[test]
    fn keys_are_found_in_code() {
        // Escaped, so the catalogue test's scan of this file does not count these keys.
        let src = "x.phrase(\n  \"titles.a\", &[]); key(\"b.c\"); phrase(n); key(\"No key\"); msg(\"d.e\"); contains_key(\"f.g\")";
        assert_eq!(keys_in_code(src), ["titles.a", "b.c", "d.e"]);
    }

    #[test]
    fn keys_are_found_in_templates() {
        let src = r#"<h1>{{t "home.title" org=org.name}}</h1>{{> x title=(t "a.b")}}"#;
        assert_eq!(keys_used(src), ["home.title", "a.b"]);
    }
}
