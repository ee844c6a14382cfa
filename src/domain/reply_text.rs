//! Saved replies (`reply_templates`): what each is for, which requests it suits, and
//! its `{placeholder}` names filled from the request. The administrator's text is data:
//! it is never compiled as a handlebars template, so it can hold no expression, and
//! the page escapes the filled text like any other value.

use crate::i18n::{interpolate, key};
use std::collections::BTreeMap;

/// The text box a saved reply starts, one per message staff write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Information,
    Refusal,
    Fulfilment,
    Partial,
    Extension,
    Message,
}

impl Purpose {
    pub const ALL: [Purpose; 6] = [
        Purpose::Information,
        Purpose::Refusal,
        Purpose::Fulfilment,
        Purpose::Partial,
        Purpose::Extension,
        Purpose::Message,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Information => "information",
            Purpose::Refusal => "refusal",
            Purpose::Fulfilment => "fulfilment",
            Purpose::Partial => "partial",
            Purpose::Extension => "extension",
            Purpose::Message => "message",
        }
    }

    pub fn parse(s: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Purpose::Information => key("reply_purposes.information"),
            Purpose::Refusal => key("reply_purposes.refusal"),
            Purpose::Fulfilment => key("reply_purposes.fulfilment"),
            Purpose::Partial => key("reply_purposes.partial"),
            Purpose::Extension => key("reply_purposes.extension"),
            Purpose::Message => key("reply_purposes.message"),
        }
    }

    /// The id of the request page's text box the reply fills. A partial fulfilment is
    /// explained in the fulfilment's own message, where the outcome is chosen.
    pub fn field(self) -> &'static str {
        match self {
            Purpose::Information => "info-message",
            Purpose::Refusal => "deny-message",
            Purpose::Fulfilment | Purpose::Partial => "fulfil-message",
            Purpose::Extension => "extend-reason",
            Purpose::Message => "message-body",
        }
    }
}

/// The scope word for "every kind" or "every law".
pub const ANY: &str = "any";

/// Whether a reply scoped to `kind` and `regime` (each a code or `ANY`) suits a
/// request of `request_kind` under `request_regime`.
pub fn applies(kind: &str, regime: &str, request_kind: &str, request_regime: &str) -> bool {
    (kind == ANY || kind == request_kind) && (regime == ANY || regime == request_regime)
}

/// The names a reply may use, in the order the form lists them.
pub const PLACEHOLDERS: [&str; 6] = [
    "reference",
    "organisation",
    "due_date",
    "received_date",
    "kind",
    "law",
];

/// What a reply's placeholders stand for on one request, already in words.
#[derive(Debug, Clone, Default)]
pub struct Values {
    pub reference: String,
    pub organisation: String,
    pub due_date: String,
    pub received_date: String,
    pub kind: String,
    pub law: String,
}

impl Values {
    fn params(&self) -> BTreeMap<&'static str, String> {
        let v = [
            &self.reference,
            &self.organisation,
            &self.due_date,
            &self.received_date,
            &self.kind,
            &self.law,
        ];
        PLACEHOLDERS.into_iter().zip(v.map(String::clone)).collect()
    }
}

/// The first `{name}` of `body` the portal cannot fill, if any. A brace that does not
/// enclose a name (`{ }`, `{a-b}`, a lone `{`) is ordinary text.
pub fn unknown_placeholder(body: &str) -> Option<String> {
    interpolate(body, &Values::default().params(), keep).err()
}

/// The reply with its placeholders filled. A name checked when the reply was saved
/// but unknown now (a reply written before a name was retired) stays as written
/// rather than hiding the reply.
pub fn fill(body: &str, values: &Values) -> String {
    interpolate(body, &values.params(), keep).unwrap_or_else(|_| body.to_string())
}

/// No escaping here: the page escapes the filled text where it shows it.
fn keep(s: &str) -> String {
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Values {
        Values {
            reference: "DSR-AAAA-BBBB".into(),
            organisation: "Example Ltd".into(),
            due_date: "4 March 2027".into(),
            received_date: "4 February 2027".into(),
            kind: "Access".into(),
            law: "GDPR".into(),
        }
    }

    #[test]
    fn fills_every_placeholder() {
        let body = "{reference} for {organisation}: {kind} under {law}, received {received_date}, due {due_date}.";
        assert_eq!(
            fill(body, &values()),
            "DSR-AAAA-BBBB for Example Ltd: Access under GDPR, received 4 February 2027, due 4 March 2027."
        );
        assert_eq!(unknown_placeholder(body), None);
    }

    #[test]
    fn refuses_an_unknown_name_and_names_it() {
        assert_eq!(
            unknown_placeholder("Dear {name}, see {reference}"),
            Some("name".into())
        );
        assert_eq!(unknown_placeholder("{Reference}"), Some("Reference".into()));
    }

    #[test]
    fn braces_that_are_not_names_are_text() {
        let body = "Use { and } freely, {a-b}, {} and {{reference}}";
        assert_eq!(unknown_placeholder(body), None);
        assert_eq!(
            fill(body, &values()),
            "Use { and } freely, {a-b}, {} and {DSR-AAAA-BBBB}"
        );
    }

    #[test]
    fn template_syntax_is_left_as_text() {
        // Handlebars syntax is not a placeholder and is never evaluated.
        let body = "{{#each x}}{{this}}{{/each}} {{> partials/layout}}";
        assert_eq!(unknown_placeholder(body), Some("this".into()));
        let body = "{{#each x}} {{> partials/layout}}";
        assert_eq!(fill(body, &values()), body);
    }

    #[test]
    fn a_value_is_not_read_again_for_names() {
        let v = Values {
            reference: "{organisation}".into(),
            ..values()
        };
        assert_eq!(fill("{reference}", &v), "{organisation}");
    }

    #[test]
    fn scope_any_or_exact() {
        assert!(applies(ANY, ANY, "access", "gdpr"));
        assert!(applies("access", ANY, "access", "ccpa"));
        assert!(!applies("access", "gdpr", "access", "ccpa"));
        assert!(!applies("deletion", ANY, "access", "ccpa"));
    }

    #[test]
    fn purposes_round_trip_and_name_their_fields() {
        for p in Purpose::ALL {
            assert_eq!(Purpose::parse(p.as_str()), Some(p));
        }
        assert_eq!(Purpose::Partial.field(), "fulfil-message");
        assert_eq!(Purpose::parse("other"), None);
    }
}
