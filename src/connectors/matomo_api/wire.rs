//! What goes over the wire to Matomo and back, apart from segments: the endpoint, how
//! Matomo's answers carry numbers and times, and how its error messages are classified.

use crate::connectors::ConnectorError;
use chrono::NaiveDateTime;
use serde_json::Value as Json;

/// `{base}index.php`, with exactly one slash between; a base that already names
/// index.php is used as it is.
pub(super) fn endpoint_of(base: &reqwest::Url) -> reqwest::Url {
    let mut url = base.clone();
    let path = base.path().trim_end_matches('/');
    if path.ends_with("/index.php") {
        url.set_path(path);
    } else {
        url.set_path(&format!("{path}/index.php"));
    }
    url
}

/// Classifies a Matomo error message. The text itself is never passed on: it can quote
/// the segment, and with it the person's user id.
pub(super) fn api_error(method: &str, message: &str) -> ConnectorError {
    let m = message.to_ascii_lowercase();
    let any = |needles: &[&str]| needles.iter().any(|n| m.contains(n));
    if any(&[
        "token_auth",
        "access",
        "permission",
        "not allowed",
        "must be logged in",
        "authenticat",
    ]) {
        ConnectorError::Permanent(format!(
            "Matomo refused {method}: the token is not valid or lacks admin access to the \
             sites (the GDPR tools need admin access); check token_env / token_file"
        ))
    } else if m.contains("segment") {
        ConnectorError::Permanent(format!(
            "Matomo rejected the search segment in {method}; the userId and visitorId \
             segments need Matomo's visitor profile to be enabled"
        ))
    } else if any(&["does not exist", "not available", "not activated", "plugin"]) {
        ConnectorError::Permanent(format!(
            "Matomo does not offer {method}; check that the PrivacyManager plugin is \
             activated and Matomo is version 3.5 or later"
        ))
    } else if any(&[
        "timed out",
        "timeout",
        "maximum execution time",
        "took too long",
        "lock wait",
        "deadlock",
        "gone away",
        "too many connections",
    ]) {
        ConnectorError::Temporary(format!(
            "Matomo could not finish {method} in time or its database was busy"
        ))
    } else {
        ConnectorError::Permanent(format!(
            "Matomo answered {method} with an error (its message is not shown, as it can \
             quote personal data)"
        ))
    }
}

pub(super) fn unexpected(method: &str) -> ConnectorError {
    ConnectorError::Permanent(format!(
        "Matomo's answer to {method} is not in the expected format"
    ))
}

/// Matomo's JSON has ids as numbers or, depending on version and database driver, as
/// numeric strings.
pub(super) fn as_u64(v: &Json) -> Option<u64> {
    match v {
        Json::Number(n) => n.as_u64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Matomo's `lastActionDateTime`: `visit_last_action_time` as stored, in UTC.
pub(super) fn parse_datetime(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S").ok()
}

pub(super) fn format_datetime(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

pub(super) fn join<T: ToString>(items: impl Iterator<Item = T>) -> String {
    items.map(|i| i.to_string()).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_has_exactly_one_slash() {
        for (base, want) in [
            ("https://m.example", "https://m.example/index.php"),
            ("https://m.example/", "https://m.example/index.php"),
            (
                "https://m.example/matomo//",
                "https://m.example/matomo/index.php",
            ),
            (
                "https://m.example/matomo/index.php",
                "https://m.example/matomo/index.php",
            ),
        ] {
            let url = endpoint_of(&reqwest::Url::parse(base).unwrap());
            assert_eq!(url.as_str(), want);
        }
    }

    #[test]
    fn error_messages_are_classified_without_their_text() {
        let e = api_error(
            "PrivacyManager.findDataSubjects",
            "The segment condition 'userId==alice@example.com' is not valid.",
        );
        assert!(matches!(&e, ConnectorError::Permanent(m) if !m.contains("alice")));
        assert!(matches!(
            api_error("X", "You can't access this resource as it requires 'view' access"),
            ConnectorError::Permanent(m) if m.contains("token")
        ));
        assert!(matches!(
            api_error("X", "Lock wait timeout exceeded"),
            ConnectorError::Temporary(_)
        ));
    }
}
