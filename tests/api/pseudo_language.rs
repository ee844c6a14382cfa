//! The pseudo-language the translation tests run the portal in: a catalogue with each
//! text wrapped in ⟪ ⟫ (any shipped one: `SHIPPED`), and the check that a page or an
//! email, with those wrapped pieces taken out, holds only what the person, the
//! organisation or the request supplied. An English sentence written in Rust, a month
//! name from chrono or an error page that bypasses the catalogue shows up as a
//! leftover word.

use crate::helpers::*;

pub(crate) const OPEN: char = '⟪';
pub(crate) const CLOSE: char = '⟫';

/// The catalogues the portal ships: each runs through the pages and emails below as
/// the pseudo-language, so a translation's placeholders and texts are all exercised.
pub(crate) const SHIPPED: [(&str, &str); 4] = [
    ("en", include_str!("../../locales/en.toml")),
    ("de", include_str!("../../locales/de.toml")),
    ("fr", include_str!("../../locales/fr.toml")),
    ("es", include_str!("../../locales/es.toml")),
];

/// `locales/en.toml` with every text wrapped in markers, as the language "xx".
pub(crate) fn pseudo_catalogue() -> String {
    pseudo_catalogue_of(SHIPPED[0].1)
}

/// A catalogue's source with every text wrapped in markers, as the language "xx".
fn pseudo_catalogue_of(source: &str) -> String {
    let mut out = String::new();
    for line in source.lines() {
        match line.split_once(" = \"") {
            Some((key, _)) if key.trim() == "lang" => out.push_str("lang = \"xx\""),
            Some((key, rest)) if !line.trim_start().starts_with('#') => {
                let value = rest.strip_suffix('"').expect("one-line texts");
                out.push_str(&format!(
                    "{key} = \"{OPEN}{}{CLOSE}\"",
                    open_placeholders(value)
                ));
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// Puts each `{name}` outside the markers, so the value it receives is checked too: a
/// code such as `consumer` filled into a translated sentence is as untranslated as a
/// sentence written in code.
fn open_placeholders(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let name_len = rest[open + 1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(0);
        let end = open + 1 + name_len;
        if name_len > 0 && rest[end..].starts_with('}') {
            out.push_str(&rest[..open]);
            out.push(CLOSE);
            out.push_str(&rest[open..=end]);
            out.push(OPEN);
            rest = &rest[end + 1..];
        } else {
            out.push_str(&rest[..=open]);
            rest = &rest[open + 1..];
        }
    }
    out.push_str(rest);
    out
}

/// What a person reads: text outside tags, plus the attributes browsers show or speak.
pub(crate) fn visible_text(html: &str) -> String {
    let mut html = html.to_string();
    // `<code>` shows stored records verbatim (an audit event's detail, a run's summary):
    // the record, not words chosen for the reader.
    for (open, close) in [
        ("<script", "</script>"),
        ("<style", "</style>"),
        ("<!--", "-->"),
        ("<code>", "</code>"),
    ] {
        while let Some(start) = html.find(open) {
            let end = html[start..]
                .find(close)
                .map_or(html.len(), |e| start + e + close.len());
            html.replace_range(start..end, " ");
        }
    }
    let mut text = String::new();
    let mut rest = html.as_str();
    while let Some(lt) = rest.find('<') {
        text.push_str(&rest[..lt]);
        text.push(' ');
        let end = rest[lt..].find('>').map_or(rest.len(), |e| lt + e + 1);
        let tag = &rest[lt..end];
        for attribute in ["aria-label=\"", "placeholder=\"", "alt=\"", "title=\""] {
            if let Some(at) = tag.find(attribute) {
                let value = &tag[at + attribute.len()..];
                text.push_str(value.split('"').next().unwrap_or_default());
                text.push(' ');
            }
        }
        rest = &rest[end..];
    }
    text.push_str(rest);
    [
        ("&amp;", "&"),
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", "\""),
        ("&#x27;", "'"),
        ("&#39;", "'"),
        ("&#x3D;", "="),
        ("&nbsp;", " "),
    ]
    .iter()
    .fold(text, |t, (entity, c)| t.replace(entity, c))
}

/// The words left once every (possibly nested) catalogue text is taken out, less those
/// the test supplied or that hold no language (numbers, references, addresses).
fn untranslated(text: &str, supplied: &[&str]) -> Vec<String> {
    let mut text = text.to_string();
    loop {
        let innermost = text.find(CLOSE).and_then(|close| {
            text[..close]
                .rfind(OPEN)
                .map(|open| (open, close + CLOSE.len_utf8()))
        });
        match innermost {
            Some((open, close)) => text.replace_range(open..close, " "),
            None => break,
        }
    }
    for phrase in supplied.iter().filter(|s| s.contains(' ')) {
        text = text.replace(phrase, " ");
    }
    text.split_whitespace()
        .filter(|w| !supplied.contains(w))
        .filter(|w| w.chars().any(char::is_alphabetic))
        .filter(|w| !w.contains('@') && !w.starts_with("http"))
        // References (DSR-QRHJ-KBMP) and ids: upper case with a hyphen or a digit.
        .filter(|w| {
            let code = !w.chars().any(char::is_lowercase)
                && w.chars().any(|c| c == '-' || c.is_ascii_digit());
            !code
        })
        .map(str::to_string)
        .collect()
}

pub(crate) fn assert_translated(what: &str, text: &str, supplied: &[&str]) {
    let left = untranslated(text, supplied);
    assert!(
        left.is_empty(),
        "{what} shows words that are not in the catalogue: {left:?}\n---\n{text}"
    );
}

/// What the test itself supplied: the organisation's and configuration's texts (the
/// operator's own words) and the person's name.
pub(crate) const SUPPLIED: &[&str] = &[
    "Test Org",
    "Account ID",
    "Shown under Settings in your account",
    "Jane Doe",
    "Paula Phone",
    "Called to ask what we hold about her.",
    crate::agent_web::CONSUMER_NAME,
    crate::agent_web::AGENT_NAME,
    crate::agent_web::AGENT_ORG,
    // The name of the file the agent sent, quoted when it is refused.
    "poa.pdf",
    // What staff wrote in the test.
    "Which account?",
    "Many systems.",
    "Asked weekly.",
    // The actor `TestApp::staff` records for the accounts it creates.
    "test",
];

/// A portal speaking the pseudo-language "xx".
pub(crate) async fn spawn_in_pseudo_language() -> (TestApp, tempfile::TempDir) {
    spawn_in_pseudo_language_with(|_| {}).await
}

pub(crate) async fn spawn_in_pseudo_language_with(
    tweak: impl FnOnce(&mut dsar_portal::config::Settings),
) -> (TestApp, tempfile::TempDir) {
    spawn_in_pseudo_language_of(SHIPPED[0].1, tweak).await
}

/// A portal speaking `source` (a shipped catalogue) as the pseudo-language "xx".
pub(crate) async fn spawn_in_pseudo_language_of(
    source: &str,
    tweak: impl FnOnce(&mut dsar_portal::config::Settings),
) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("locales")).expect("locales dir");
    std::fs::write(
        dir.path().join("locales/xx.toml"),
        pseudo_catalogue_of(source),
    )
    .expect("write");
    let templates = dir.path().to_path_buf();
    let app = spawn_app_with(&Backend::Sqlite, move |s| {
        s.organisation.language = "xx".into();
        s.organisation.languages = vec!["xx".into()];
        s.templates_dir = Some(templates);
        tweak(s);
    })
    .await;
    // Saved replies are the organisation's own words, kept as data; the English ones
    // the portal ships with would show as untranslated. (The complaint authorities are
    // left to the catalogue's defaults, which must be translated too.)
    app.exec("DELETE FROM reply_templates");
    (app, dir)
}

/// Checks a page's status, its language and its words; returns the page.
pub(crate) fn page(what: &str, (status, html): (u16, String), expected: u16) -> String {
    assert_eq!(status, expected, "{what}: {html}");
    assert!(html.contains("<html lang=\"xx\">"), "{what} is in xx");
    assert_translated(what, &visible_text(&html), SUPPLIED);
    html
}

/// Checks every email written so far: subject, text and HTML.
pub(crate) async fn check_emails(app: &TestApp, at_least: usize) {
    let emails = app.emails(at_least).await;
    for email in &emails {
        let what = format!("email {:?}", email.subject);
        assert_translated(&what, &email.subject, SUPPLIED);
        assert_translated(&what, &email.text, SUPPLIED);
        assert_translated(&what, &visible_text(&email.html), SUPPLIED);
    }
}

#[test]
fn leftover_english_is_found_and_catalogue_text_is_not() {
    let html =
        "<p>⟪Due on ⟪4⟫ ⟪March⟫ 2026⟫</p><p title=\"Close\">Reference DSR-QRHJ-KBMP</p> 14:05 UTC";
    assert_eq!(
        untranslated(&visible_text(html), &[]),
        ["Close", "Reference", "UTC"]
    );
    assert!(untranslated(&visible_text("<p>⟪Hello ⟫Jane Doe⟪!⟫</p>"), SUPPLIED).is_empty());
    assert_eq!(
        open_placeholders("Write to <a href=\"mailto:{email}\">{email}</a> {not one}"),
        "Write to <a href=\"mailto:⟫{email}⟪\">⟫{email}⟪</a> {not one}"
    );
    // A placeholder inside an attribute leaves the markers balanced once tags go.
    let link = format!(
        "⟪{}⟫",
        open_placeholders("Write to <a href=\"mailto:{email}\">{email}</a>.")
    );
    let shown = visible_text(&link.replace("{email}", "a@b.example"));
    assert!(untranslated(&shown, &[]).is_empty(), "{shown}");
}
