//! What we tell an agent about a request: the DRP status object, mapped from the
//! portal's own lifecycle, and the DRP error body.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::state::Status;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrpStatus {
    Open,
    InProgress,
    Fulfilled,
    Revoked,
    Denied,
    Expired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    NeedUserVerification,
    SuspectedFraud,
    InsufVerification,
    NoMatch,
    ClaimNotCovered,
    OutsideJurisdiction,
    TooManyRequests,
    Other,
}

/// The JSON answered to a status query and posted to `status_callback`. Absent
/// optional fields are left out rather than sent as `null`, as the spec's examples do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusObject {
    pub request_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_request_id: Option<String>,
    pub status: DrpStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    #[serde(with = "iso_z")]
    pub received_at: DateTime<Utc>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "iso_z::option"
    )]
    pub expected_by: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_details: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_verification_url: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "iso_z::option"
    )]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results_url: Option<String>,
}

/// What the mapping needs to know about a portal request, read by the caller.
#[derive(Debug, Clone, Copy)]
pub struct PortalView<'a> {
    pub request_id: &'a str,
    pub agent_request_id: Option<&'a str>,
    pub status: Status,
    /// A code from `domain::decisions` when the request was denied.
    pub denial_code: Option<&'a str>,
    /// Withdrawn by the agent through DRP, rather than by the consumer.
    pub revoked: bool,
    /// UTC.
    pub received_at: NaiveDateTime,
    pub due_on: NaiveDate,
    pub extended: bool,
    pub extension_reason: Option<&'a str>,
    pub results_url: Option<&'a str>,
    /// Where the person confirms, given while the request waits for them.
    pub verification_url: Option<&'a str>,
    pub record_kept_until: Option<NaiveDate>,
}

/// Whether the portal status is shown as `in_progress`/`need_user_verification`, whose
/// status MUST carry a `user_verification_url` (§3.02.1).
pub fn needs_user_verification(status: Status) -> bool {
    matches!(status, Status::Submitted | Status::AwaitingConsumer)
}

/// Maps a portal request to its DRP status object.
pub fn status_object(view: &PortalView) -> StatusObject {
    // Every arm names its status: a status added to the portal must be mapped here
    // before the crate builds, rather than falling into some default.
    let (status, reason, details): (DrpStatus, Option<Reason>, Option<String>) = match view.status {
        Status::Submitted => (
            DrpStatus::InProgress,
            Some(Reason::NeedUserVerification),
            Some("Waiting for the consumer to confirm their email address.".into()),
        ),
        // CCPA §7063(a)(2): the consumer must confirm the agent's permission with us
        // directly, which is the user verification the spec's reason describes.
        Status::AwaitingConsumer => (
            DrpStatus::InProgress,
            Some(Reason::NeedUserVerification),
            Some(
                "Waiting for the consumer to confirm directly with the business that the \
                 agent may act for them."
                    .into(),
            ),
        ),
        Status::EmailVerified | Status::InProgress => (DrpStatus::InProgress, None, None),
        Status::AwaitingInformation => (
            DrpStatus::InProgress,
            None,
            Some(
                "The business has asked the consumer for more information and is waiting \
                 for their reply."
                    .into(),
            ),
        ),
        Status::Fulfilled => (DrpStatus::Fulfilled, None, None),
        Status::Denied => {
            let (reason, details) = denial(view.denial_code);
            (DrpStatus::Denied, Some(reason), Some(details.into()))
        }
        Status::Withdrawn => (
            DrpStatus::Revoked,
            None,
            Some(if view.revoked {
                "Revoked at the agent's request.".into()
            } else {
                "The consumer withdrew the request directly with the business.".into()
            }),
        ),
        Status::ClosedUnverified => (
            DrpStatus::Denied,
            Some(Reason::InsufVerification),
            Some(
                "Closed: the consumer did not confirm their email address in time. A new \
                 request may be made."
                    .into(),
            ),
        ),
    };
    let fulfilled = status == DrpStatus::Fulfilled;
    StatusObject {
        request_id: view.request_id.to_owned(),
        agent_request_id: view.agent_request_id.map(str::to_owned),
        status,
        reason,
        // Whole seconds, as serialised, so the object equals what the agent reads.
        received_at: view.received_at.and_utc().trunc_subsecs(0),
        // The spec requires it for in_progress; past that, a deadline means nothing.
        expected_by: (status == DrpStatus::InProgress).then(|| end_of_day(view.due_on)),
        processing_details: with_extension(details, view),
        user_verification_url: view
            .verification_url
            .filter(|_| reason == Some(Reason::NeedUserVerification))
            .map(str::to_owned),
        // Start of the day, not its end: the retention job may remove the data at any
        // hour of that day, and the agent should not be promised a moment we may miss.
        expires_at: view
            .record_kept_until
            .filter(|_| fulfilled)
            .map(|d| d.and_time(NaiveTime::MIN).and_utc()),
        results_url: view.results_url.filter(|_| fulfilled).map(str::to_owned),
    }
}

/// The spec's reason for each of our denial codes, and plain words for the agent. A
/// code we do not know (a later addition) is still a denial: "other" is honest.
fn denial(code: Option<&str>) -> (Reason, &'static str) {
    match code {
        Some("identity_not_verified") => (
            Reason::InsufVerification,
            "The business could not verify the consumer's identity.",
        ),
        Some("no_data") => (
            Reason::NoMatch,
            "The business holds no personal data about the consumer.",
        ),
        Some("not_covered") => (
            Reason::ClaimNotCovered,
            "The request is not covered by the law that applies.",
        ),
        Some("manifestly_unfounded_or_excessive") => (
            Reason::TooManyRequests,
            "The request was refused as manifestly unfounded or excessive.",
        ),
        Some("exemption_legal_claims") => (
            Reason::Other,
            "An exemption applies: the data is needed for legal claims.",
        ),
        Some("exemption_legal_obligation") => (
            Reason::Other,
            "An exemption applies: the law requires the business to keep the data.",
        ),
        Some(_) | None => (
            Reason::Other,
            "The request was refused; the business has written to the consumer to explain why.",
        ),
    }
}

fn with_extension(details: Option<String>, view: &PortalView) -> Option<String> {
    if !view.extended {
        return details;
    }
    let note = match view
        .extension_reason
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        Some(reason) => format!("Extended as the law allows: {reason}"),
        None => "Extended as the law allows.".to_owned(),
    };
    Some(match details {
        Some(d) => format!("{d} {note}"),
        None => note,
    })
}

/// A due date means "by the end of that day"; the portal keeps dates in UTC.
fn end_of_day(day: NaiveDate) -> DateTime<Utc> {
    // Evaluated at compile time, so the impossible `None` cannot happen at run time.
    const LAST_SECOND: NaiveTime = match NaiveTime::from_hms_opt(23, 59, 59) {
        Some(t) => t,
        None => panic!("23:59:59 is a valid time"),
    };
    day.and_time(LAST_SECOND).and_utc()
}

/// The DRP error body. `code` is the HTTP status as a string, as the spec shows it.
pub fn error_body(status: u16, message: &str, fatal: bool) -> serde_json::Value {
    serde_json::json!({
        "code": status.to_string(),
        "message": message,
        "fatal": fatal,
    })
}

/// Whole seconds with a literal `Z`: the spec's examples use that form, and some
/// agents compare or parse it as a fixed shape.
mod iso_z {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    const FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&t.format(FORMAT))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }

    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(
            t: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => super::serialize(t, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            Option::<String>::deserialize(d)?
                .map(|s| {
                    DateTime::parse_from_rfc3339(&s)
                        .map(|t| t.with_timezone(&Utc))
                        .map_err(serde::de::Error::custom)
                })
                .transpose()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::deadlines::Regime;
    use crate::domain::decisions::denial_reasons;
    use serde_json::{json, Value};

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("test date")
    }

    fn view(status: Status) -> PortalView<'static> {
        PortalView {
            request_id: "r-1",
            agent_request_id: None,
            status,
            denial_code: None,
            revoked: false,
            received_at: "2026-11-27T13:00:00.250".parse().expect("test timestamp"),
            due_on: day("2027-01-11"),
            extended: false,
            extension_reason: None,
            results_url: None,
            verification_url: None,
            record_kept_until: None,
        }
    }

    fn as_json(v: &PortalView) -> Value {
        serde_json::to_value(status_object(v)).expect("serialises")
    }

    fn keys(v: &Value) -> Vec<&str> {
        let mut k: Vec<&str> = v
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        k.sort_unstable();
        k
    }

    #[test]
    fn every_status_maps_and_in_progress_has_expected_by() {
        let expected = [
            (
                Status::Submitted,
                DrpStatus::InProgress,
                Some(Reason::NeedUserVerification),
            ),
            (
                Status::AwaitingConsumer,
                DrpStatus::InProgress,
                Some(Reason::NeedUserVerification),
            ),
            (Status::EmailVerified, DrpStatus::InProgress, None),
            (Status::AwaitingInformation, DrpStatus::InProgress, None),
            (Status::InProgress, DrpStatus::InProgress, None),
            (Status::Fulfilled, DrpStatus::Fulfilled, None),
            (Status::Denied, DrpStatus::Denied, Some(Reason::Other)),
            (Status::Withdrawn, DrpStatus::Revoked, None),
            (
                Status::ClosedUnverified,
                DrpStatus::Denied,
                Some(Reason::InsufVerification),
            ),
        ];
        assert_eq!(
            expected.len(),
            Status::ALL.len(),
            "a status is missing here"
        );
        for (portal, drp, reason) in expected {
            let o = status_object(&view(portal));
            assert_eq!((o.status, o.reason), (drp, reason), "{portal}");
            assert_eq!(
                o.expected_by.is_some(),
                drp == DrpStatus::InProgress,
                "{portal}: expected_by only and always while in progress"
            );
            let j = serde_json::to_value(&o).expect("serialises");
            assert!(
                j.as_object()
                    .into_iter()
                    .flatten()
                    .all(|(_, v)| !v.is_null()),
                "{j}"
            );
            assert_eq!(j["received_at"], "2026-11-27T13:00:00Z");
        }
    }

    #[test]
    fn submitted_waits_for_email_with_deadline_at_end_of_day() {
        let j = as_json(&view(Status::Submitted));
        assert_eq!(
            j,
            json!({
                "request_id": "r-1",
                "status": "in_progress",
                "reason": "need_user_verification",
                "received_at": "2026-11-27T13:00:00Z",
                "expected_by": "2027-01-11T23:59:59Z",
                "processing_details": "Waiting for the consumer to confirm their email address.",
            })
        );
    }

    #[test]
    fn the_verification_url_is_given_exactly_while_the_person_is_needed() {
        let url = "https://privacy.example/requests/confirm/handle";
        for status in Status::ALL {
            let mut v = view(status);
            v.verification_url = Some(url);
            let o = status_object(&v);
            let waiting = o.reason == Some(Reason::NeedUserVerification);
            assert_eq!(waiting, needs_user_verification(status), "{status}");
            assert_eq!(
                o.user_verification_url.as_deref(),
                waiting.then_some(url),
                "{status}"
            );
        }
    }

    #[test]
    fn plain_in_progress_omits_everything_optional() {
        let mut v = view(Status::InProgress);
        v.agent_request_id = Some("agent-7");
        v.results_url = Some("https://portal.example/r/1");
        v.record_kept_until = Some(day("2028-01-01"));
        let j = as_json(&v);
        assert_eq!(
            keys(&j),
            [
                "agent_request_id",
                "expected_by",
                "received_at",
                "request_id",
                "status"
            ]
        );
        assert_eq!(j["agent_request_id"], "agent-7");
    }

    #[test]
    fn awaiting_information_says_so() {
        let o = status_object(&view(Status::AwaitingInformation));
        assert!(o
            .processing_details
            .as_deref()
            .is_some_and(|d| d.contains("more information")));
    }

    #[test]
    fn fulfilled_carries_results_and_their_expiry() {
        let mut v = view(Status::Fulfilled);
        v.results_url = Some("https://portal.example/r/1");
        v.record_kept_until = Some(day("2028-01-01"));
        let j = as_json(&v);
        assert_eq!(
            j,
            json!({
                "request_id": "r-1",
                "status": "fulfilled",
                "received_at": "2026-11-27T13:00:00Z",
                "results_url": "https://portal.example/r/1",
                "expires_at": "2028-01-01T00:00:00Z",
            })
        );
        let bare = as_json(&view(Status::Fulfilled));
        assert_eq!(keys(&bare), ["received_at", "request_id", "status"]);
    }

    #[test]
    fn denial_codes_map_to_spec_reasons() {
        let cases = [
            ("identity_not_verified", Reason::InsufVerification),
            ("no_data", Reason::NoMatch),
            ("not_covered", Reason::ClaimNotCovered),
            ("manifestly_unfounded_or_excessive", Reason::TooManyRequests),
            ("exemption_legal_claims", Reason::Other),
            ("exemption_legal_obligation", Reason::Other),
            ("other", Reason::Other),
            ("something_new", Reason::Other),
        ];
        for (code, reason) in cases {
            let mut v = view(Status::Denied);
            v.denial_code = Some(code);
            let o = status_object(&v);
            assert_eq!(
                (o.status, o.reason),
                (DrpStatus::Denied, Some(reason)),
                "{code}"
            );
            assert!(o.processing_details.is_some(), "{code}");
            assert!(o.expected_by.is_none());
        }
    }

    #[test]
    fn every_portal_denial_code_has_its_own_words() {
        // A code added to decisions.rs must be given a mapping, not the fallback.
        let (_, fallback) = denial(None);
        for r in denial_reasons(Regime::Ccpa) {
            if r.code != "other" {
                assert_ne!(denial(Some(r.code)).1, fallback, "{} is unmapped", r.code);
            }
        }
    }

    #[test]
    fn withdrawn_is_revoked_either_way() {
        let mut v = view(Status::Withdrawn);
        let by_consumer = status_object(&v);
        v.revoked = true;
        let by_agent = status_object(&v);
        assert_eq!(by_consumer.status, DrpStatus::Revoked);
        assert_eq!(by_agent.status, DrpStatus::Revoked);
        assert_ne!(by_consumer.processing_details, by_agent.processing_details);
    }

    #[test]
    fn extension_is_reported_on_any_status() {
        let mut v = view(Status::InProgress);
        v.extended = true;
        v.extension_reason = Some("The request is complex.");
        assert_eq!(
            status_object(&v).processing_details.as_deref(),
            Some("Extended as the law allows: The request is complex.")
        );
        v.extension_reason = Some("  ");
        assert_eq!(
            status_object(&v).processing_details.as_deref(),
            Some("Extended as the law allows.")
        );
        let mut v = view(Status::Submitted);
        v.extended = true;
        assert_eq!(
            status_object(&v).processing_details.as_deref(),
            Some("Waiting for the consumer to confirm their email address. Extended as the law allows.")
        );
    }

    #[test]
    fn status_object_round_trips() {
        let mut v = view(Status::Fulfilled);
        v.agent_request_id = Some("a");
        v.results_url = Some("https://portal.example/r/1");
        v.record_kept_until = Some(day("2028-01-01"));
        let o = status_object(&v);
        let text = serde_json::to_string(&o).expect("serialises");
        let back: StatusObject = serde_json::from_str(&text).expect("parses");
        assert_eq!(back, o);
        let minimal: StatusObject = serde_json::from_value(json!({
            "request_id": "x", "status": "expired", "received_at": "2026-01-01T00:00:00+01:00"
        }))
        .expect("parses");
        assert_eq!(minimal.status, DrpStatus::Expired);
        assert_eq!(minimal.reason, None);
    }

    #[test]
    fn enums_use_the_spec_spellings() {
        assert_eq!(
            serde_json::to_value(DrpStatus::InProgress).ok(),
            Some(json!("in_progress"))
        );
        assert_eq!(
            serde_json::to_value(Reason::InsufVerification).ok(),
            Some(json!("insuf_verification"))
        );
        assert_eq!(
            serde_json::to_value(Reason::NeedUserVerification).ok(),
            Some(json!("need_user_verification"))
        );
    }

    #[test]
    fn error_body_shape() {
        assert_eq!(
            error_body(403, "no", true),
            json!({"code": "403", "message": "no", "fatal": true})
        );
    }
}
