//! The staff queue's filters as the URL carries them (`/staff?…`, and the same on
//! `/staff/queue.csv`): parsed once into the database filter; anything unknown filters
//! nothing, and a malformed date is reported rather than silently dropped.

use crate::db::models::queue::{Assignee, Filter, View};
use crate::domain::deadlines::Regime;
use crate::domain::kinds::RequestKind;
use crate::domain::source::Source;
use crate::domain::state::Status;
use chrono::NaiveDate;
use serde::Deserialize;

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct QueueQuery {
    pub view: String,
    pub status: String,
    pub kind: String,
    pub regime: String,
    pub channel: String,
    pub assignee: String,
    pub overdue: String,
    pub due_within: String,
    /// Received on or after (YYYY-MM-DD).
    pub from: String,
    /// Received on or before (YYYY-MM-DD).
    pub to: String,
    pub q: String,
    pub after: String,
}

fn trimmed(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

/// A date field: `Ok(None)` when empty, an error when it is not a date.
fn date_field(s: &str) -> Result<Option<NaiveDate>, chrono::ParseError> {
    trimmed(s)
        .map(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d"))
        .transpose()
}

impl QueueQuery {
    pub fn view(&self) -> View {
        match self.view.as_str() {
            "closed" => View::Closed,
            "all" => View::All,
            _ => View::Open,
        }
    }

    pub fn view_code(&self) -> &'static str {
        match self.view() {
            View::Open => "open",
            View::Closed => "closed",
            View::All => "all",
        }
    }

    /// The search term, if any.
    pub fn search(&self) -> Option<&str> {
        trimmed(&self.q)
    }

    /// Whether either date of the range is malformed (the range is then not applied).
    pub fn bad_dates(&self) -> bool {
        date_field(&self.from).is_err() || date_field(&self.to).is_err()
    }

    /// The database filter for `staff_id` ("me"); search ids are the caller's to add.
    pub fn filter(&self, staff_id: &str) -> Filter {
        Filter {
            view: self.view(),
            status: Status::parse(self.status.trim()),
            kind: trimmed(&self.kind)
                .filter(|k| RequestKind::parse(k).is_some())
                .map(str::to_string),
            regime: trimmed(&self.regime)
                .filter(|r| Regime::parse(r).is_some())
                .map(str::to_string),
            source: trimmed(&self.channel)
                .filter(|c| Source::parse(c).is_some())
                .map(str::to_string),
            assignee: match self.assignee.trim() {
                "" => Assignee::Anyone,
                "me" | "mine" => Assignee::Person(staff_id.to_string()),
                "unassigned" => Assignee::Unassigned,
                // Staff ids are short opaque codes; anything longer names nobody.
                id if id.len() <= 64 => Assignee::Person(id.to_string()),
                _ => Assignee::Anyone,
            },
            overdue: self.overdue == "1",
            due_within_days: self
                .due_within
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|d| (0..=3650).contains(d)),
            received_from: date_field(&self.from).ok().flatten(),
            received_to: date_field(&self.to).ok().flatten(),
            ids: None,
            after: self.after.split_once('_').and_then(|(d, id)| {
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .ok()
                    .map(|d| (d, id.to_string()))
            }),
        }
    }

    /// The query string of these filters (without the cursor), `view` replaced when
    /// given and `after` added when given: what every link back into the queue keeps.
    pub fn query_string(&self, view: Option<&str>, after: Option<&str>) -> String {
        let pairs = [
            ("view", view.unwrap_or(self.view.as_str())),
            ("status", self.status.as_str()),
            ("kind", self.kind.as_str()),
            ("regime", self.regime.as_str()),
            ("channel", self.channel.as_str()),
            ("assignee", self.assignee.as_str()),
            ("overdue", self.overdue.as_str()),
            ("due_within", self.due_within.as_str()),
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
            ("q", self.q.as_str()),
            ("after", after.unwrap_or("")),
        ];
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(
                pairs
                    .iter()
                    .filter(|(k, v)| !(v.trim().is_empty() || (*k == "view" && *v == "open"))),
            )
            .finish()
    }

    /// What an export's audit event records of the filters: codes and dates, and
    /// only whether there was a search (a search term may be a person's email).
    pub fn audit_detail(&self) -> serde_json::Value {
        serde_json::json!({
            "view": self.view_code(),
            "status": trimmed(&self.status),
            "kind": trimmed(&self.kind),
            "regime": trimmed(&self.regime),
            "channel": trimmed(&self.channel),
            "assignee": trimmed(&self.assignee),
            "overdue": self.overdue == "1",
            "due_within": trimmed(&self.due_within),
            "from": trimmed(&self.from),
            "to": trimmed(&self.to),
            "search": self.search().is_some(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_every_filter_but_the_default_view() {
        let q = QueueQuery {
            status: "denied".into(),
            from: "2026-01-01".into(),
            q: "a b".into(),
            ..Default::default()
        };
        assert_eq!(
            q.query_string(None, Some("2026-02-01_x")),
            "status=denied&from=2026-01-01&q=a+b&after=2026-02-01_x"
        );
        assert_eq!(
            q.query_string(Some("closed"), None),
            "view=closed&status=denied&from=2026-01-01&q=a+b"
        );
    }

    #[test]
    fn a_malformed_date_is_reported_and_not_applied() {
        let q = QueueQuery {
            from: "01/02/2026".into(),
            to: "2026-02-01".into(),
            ..Default::default()
        };
        assert!(q.bad_dates());
        let f = q.filter("me");
        assert_eq!(f.received_from, None);
        assert_eq!(f.received_to, NaiveDate::from_ymd_opt(2026, 2, 1));
    }

    #[test]
    fn me_and_named_people_filter_by_id() {
        let q = |a: &str| QueueQuery {
            assignee: a.into(),
            ..Default::default()
        };
        assert_eq!(q("me").filter("s1").assignee, Assignee::Person("s1".into()));
        assert_eq!(q("s2").filter("s1").assignee, Assignee::Person("s2".into()));
        assert_eq!(q("unassigned").filter("s1").assignee, Assignee::Unassigned);
        assert_eq!(q(&"x".repeat(65)).filter("s1").assignee, Assignee::Anyone);
    }
}
