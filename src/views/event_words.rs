//! The detail of an audit event in sentences, for the request timeline: the stored
//! detail is JSON (the hash chain covers it as written), staff read words. Each action
//! says what its detail means; a detail this module does not know gets a neutral
//! sentence, never the JSON itself.

use super::actor_names::ActorNames;
use crate::domain::deadlines::Regime;
use crate::domain::decisions::{self, Outcome, VerificationLevel};
use crate::domain::kinds::{Jurisdiction, RequestKind};
use crate::domain::runs::RunAction;
use crate::domain::source::Source;
use crate::i18n::key;
use crate::templates::Templates;
use serde_json::{Map, Value};

/// What the wording needs beside the event: the catalogue, staff names, and the
/// request's law (a refusal reason's label depends on it).
pub struct Wording<'a> {
    pub t: &'a Templates,
    pub actors: &'a ActorNames,
    pub regime: Regime,
}

impl Wording<'_> {
    /// The detail of event `action` in words; `None` when it has nothing to add.
    pub fn sentence(&self, action: &str, detail: &str) -> Option<String> {
        let map = match serde_json::from_str::<Value>(detail) {
            Ok(Value::Object(m)) => m,
            Ok(Value::Null) => return None,
            _ => return Some(self.say("event_words.recorded", &[])),
        };
        if map.is_empty() {
            return None;
        }
        let d = Detail(&map);
        let words = match action {
            "request_submitted" => self.submitted(&d),
            "email_verified"
            | "agent_email_verified"
            | "consumer_confirmed_agent"
            | "consumer_refused_agent" => self.say("event_words.by_email_link", &[]),
            "accepted_without_verification" => {
                self.with_gpc(&d, key("event_words.opt_out_no_check"))
            }
            "closed_unverified" => self.say(
                "event_words.closed_unverified",
                &[
                    ("days", d.num("after_days")),
                    ("documents", d.num("documents_deleted")),
                ],
            ),
            "link_resent" => self.say("event_words.link_resent", &[]),
            "acknowledged" => self.acknowledged(&d),
            "identity_verified" => self.verified(&d),
            "information_requested" => match d.flag("clock_paused") {
                true => self.say("event_words.clock_paused", &[]),
                false => self.say("event_words.clock_runs", &[]),
            },
            "information_received" => self.say(
                "event_words.information_received",
                &[
                    ("days", d.num("paused_days")),
                    ("due_on", self.day(&d, "due_on")),
                ],
            ),
            "extended" => self.say(
                "event_words.extended",
                &[
                    ("from", self.day(&d, "original_due_on")),
                    ("to", self.day(&d, "due_on")),
                ],
            ),
            "denied" => self.refused(&d),
            "fulfilled" => match d.text("outcome").and_then(Outcome::parse) {
                Some(Outcome::Part) => self.say("event_words.fulfilled_part", &[]),
                _ => self.say("event_words.fulfilled_whole", &[]),
            },
            "appealed" => self.say("event_words.appealed", &[]),
            "appeal_submitted" => self.say(
                "event_words.appeal_due",
                &[("due_on", self.day(&d, "due_on"))],
            ),
            "assigned" => match d.text("assignee") {
                Some(id) => self.say(
                    "event_words.assigned",
                    &[("name", self.actors.name(self.t, &format!("staff:{id}")))],
                ),
                None => self.say("event_words.unassigned", &[]),
            },
            a if a.starts_with("connector_run_") => self.run(a, &d),
            "package_sent" => self.say(
                "event_words.package_sent",
                &[("files", d.num("files")), ("kb", kilobytes(&d))],
            ),
            "package_downloaded" => self.say(
                "event_words.package_downloaded",
                &[("count", d.num("download"))],
            ),
            "personal_data_removed" => self.say(
                "event_words.personal_data_removed",
                &[
                    ("months", d.num("retention_months")),
                    ("identities", d.num("identities")),
                    ("documents", d.num("documents")),
                ],
            ),
            "agent_document_reviewed" => match d.text("outcome") {
                Some("accepted") => self.say("event_words.document_accepted", &[]),
                _ => self.say("event_words.document_rejected", &[]),
            },
            "consumer_told_of_agent" => self.say("event_words.consumer_told_of_agent", &[]),
            "drp_request_received" | "drp_verification_url_issued" => self.say(
                "event_words.drp_agent",
                &[("agent", d.text("agent").unwrap_or_default().to_string())],
            ),
            // The document's id and the viewer are in the event's own columns.
            "agent_document_received" | "document_viewed" | "note_added" | "withdrawn" => {
                return None
            }
            _ => self.say("event_words.recorded", &[]),
        };
        Some(words)
    }

    fn say(&self, key: &str, args: &[(&str, String)]) -> String {
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.t.phrase(key, &args)
    }

    /// A stored date (`YYYY-MM-DD`) as the portal writes dates.
    fn day(&self, d: &Detail, name: &str) -> String {
        d.text(name)
            .and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .map_or_else(
                || self.say("event_words.no_date", &[]),
                |day| self.t.date(day),
            )
    }

    fn label_of<T>(
        &self,
        value: Option<&str>,
        parse: fn(&str) -> Option<T>,
        key: fn(T) -> &'static str,
    ) -> String {
        value.and_then(parse).map_or_else(
            || self.say("event_words.unknown", &[]),
            |v| self.t.label(key(v)),
        )
    }

    fn submitted(&self, d: &Detail) -> String {
        let kind = self.label_of(d.text("kind"), RequestKind::parse, RequestKind::label_key);
        let place = self.label_of(
            d.text("jurisdiction"),
            Jurisdiction::parse,
            Jurisdiction::label_key,
        );
        let source = self.label_of(d.text("source"), Source::parse, Source::label_key);
        let words = self.say(
            "event_words.submitted",
            &[
                ("kind", kind),
                ("place", place),
                ("source", source),
                ("due_on", self.day(d, "due_on")),
            ],
        );
        self.then_gpc(d, words)
    }

    fn with_gpc(&self, d: &Detail, key: &str) -> String {
        self.then_gpc(d, self.say(key, &[]))
    }

    fn then_gpc(&self, d: &Detail, words: String) -> String {
        match d.flag("gpc") {
            true => format!("{words} {}", self.say("event_words.gpc", &[])),
            false => words,
        }
    }

    fn acknowledged(&self, d: &Detail) -> String {
        let when = match (d.flag("automatic"), d.0.get("on_time")) {
            (true, _) => key("event_words.acknowledged_automatic"),
            (false, Some(Value::Bool(false))) => key("event_words.acknowledged_late"),
            _ => key("event_words.acknowledged_on_time"),
        };
        self.say(when, &[])
    }

    fn verified(&self, d: &Detail) -> String {
        let level = self.label_of(
            d.text("level"),
            VerificationLevel::parse,
            VerificationLevel::label_key,
        );
        let method = d
            .text("method")
            .and_then(|m| decisions::METHODS.iter().find(|(code, _)| *code == m))
            .map_or_else(
                || self.say("event_words.unknown", &[]),
                |(_, key)| self.t.label(key),
            );
        let points: Vec<String> = d
            .list("points")
            .filter_map(|p| decisions::DATA_POINTS.iter().find(|(code, _)| *code == p))
            .map(|(_, key)| self.t.label(key))
            .collect();
        let points = match points.is_empty() {
            true => self.say("event_words.no_points", &[]),
            false => points.join(", "),
        };
        let mut words = self.say(
            "event_words.identity_verified",
            &[("level", level), ("method", method), ("points", points)],
        );
        if d.flag("declaration") {
            words = format!("{words} {}", self.say("event_words.declaration", &[]));
        }
        words
    }

    fn refused(&self, d: &Detail) -> String {
        let reason = d
            .text("reason")
            .and_then(|code| decisions::denial_reason(self.regime, code))
            .map_or_else(
                || self.say("event_words.unknown", &[]),
                |r| self.t.label(r.label_key),
            );
        self.say("event_words.refused", &[("reason", reason)])
    }

    /// A connector run: which system, what it was asked, and what it answered.
    fn run(&self, action: &str, d: &Detail) -> String {
        let system = d.text("connector").unwrap_or_default().to_string();
        let run = self.label_of(d.text("action"), RunAction::parse, RunAction::label_key);
        let head = self.say("event_words.run", &[("run", run), ("system", system)]);
        let tail = match action {
            "connector_run_done" => run_result(self.t, d),
            "connector_run_failed" | "connector_run_retrying" => {
                Some(self.say("event_words.run_attempts", &[("count", d.num("attempts"))]))
            }
            _ => None,
        };
        tail.map_or(head.clone(), |t| format!("{head} {t}"))
    }
}

/// What a finished run reported (its stored summary, or its audit detail, which
/// carries the same keys), in words; `None` when it reported nothing to count.
pub fn run_summary(t: &Templates, summary: &str) -> Option<String> {
    match serde_json::from_str::<Value>(summary) {
        Ok(Value::Object(m)) => run_result(t, &Detail(&m)),
        _ => None,
    }
}

fn run_result(t: &Templates, d: &Detail) -> Option<String> {
    let sum = |name: &str| -> Option<(i64, &Map<String, Value>)> {
        let map = d.0.get(name).and_then(Value::as_object)?;
        Some((map.values().filter_map(Value::as_i64).sum(), map))
    };
    if let Some((found, counts)) = sum("counts") {
        let key = match d.0.get("actionable") {
            Some(Value::Bool(false)) => key("event_words.found_weak"),
            _ => key("event_words.found"),
        };
        let (n, tables) = (found.to_string(), table_list(counts));
        return Some(t.phrase(key, &[("count", &n), ("tables", &tables)]));
    }
    if let Some((n, _)) = sum("rows") {
        return Some(t.phrase("event_words.exported", &[("count", &n.to_string())]));
    }
    if let Some((n, _)) = sum("deleted") {
        let mut said = match sum("changed") {
            Some((changed, _)) if changed > 0 => t.phrase(
                "event_words.erased_and_changed",
                &[("count", &n.to_string()), ("changed", &changed.to_string())],
            ),
            _ => t.phrase("event_words.erased", &[("count", &n.to_string())]),
        };
        if let Some((detached, _)) = sum("detached").filter(|(n, _)| *n > 0) {
            said.push(' ');
            said.push_str(&t.phrase("event_words.detached", &[("count", &detached.to_string())]));
        }
        // The proof: what the same search found afterwards.
        if let Some((left, counts)) = sum("remaining") {
            said.push(' ');
            said.push_str(&if left == 0 {
                t.phrase("event_words.none_remain", &[])
            } else {
                let nonzero: Map<String, Value> = counts
                    .iter()
                    .filter(|(_, n)| n.as_i64().unwrap_or(0) > 0)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                t.phrase(
                    "event_words.some_remain",
                    &[
                        ("count", &left.to_string()),
                        ("tables", &table_list(&nonzero)),
                    ],
                )
            });
        }
        for kept in
            d.0.get("kept")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        {
            let table = kept.get("table").and_then(Value::as_str).unwrap_or("");
            let place = match kept.get("column").and_then(Value::as_str) {
                Some(column) => format!("{table}.{column}"),
                None => table.to_string(),
            };
            let reason = kept.get("reason").and_then(Value::as_str).unwrap_or("");
            said.push(' ');
            said.push_str(&t.phrase("event_words.kept", &[("place", &place), ("reason", reason)]));
        }
        return Some(said);
    }
    d.0.get("opt_out")
        .map(|_| t.phrase("event_words.opted_out", &[]))
}

/// A parsed event detail, read by name.
pub struct Detail<'a>(pub &'a Map<String, Value>);

impl Detail<'_> {
    fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    fn flag(&self, name: &str) -> bool {
        self.0.get(name).and_then(Value::as_bool).unwrap_or(false)
    }

    fn num(&self, name: &str) -> String {
        self.0
            .get(name)
            .and_then(Value::as_i64)
            .unwrap_or(0)
            .to_string()
    }

    fn list(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0
            .get(name)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
    }
}

fn kilobytes(d: &Detail) -> String {
    let bytes = d.0.get("bytes").and_then(Value::as_i64).unwrap_or(0);
    ((bytes + 1023) / 1024).to_string()
}

/// "visits (3), actions (12)": the tables a search found rows in.
fn table_list(counts: &Map<String, Value>) -> String {
    counts
        .iter()
        .map(|(table, n)| format!("{table} ({})", n.as_i64().unwrap_or(0)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn words(action: &str, detail: &str) -> Option<String> {
        let t = Templates::load(None, "en").expect("templates");
        let staff = HashMap::from([("s1".to_string(), "ana@example.org".to_string())]);
        let actors = ActorNames::from_emails(staff);
        let w = Wording {
            t: &t,
            actors: &actors,
            regime: Regime::Ccpa,
        };
        w.sentence(action, detail)
    }

    #[test]
    fn details_read_as_sentences() {
        let said = words(
            "identity_verified",
            r#"{"method":"data_points","points":["name","account_id"],"declaration":false,"level":"reasonable"}"#,
        )
        .expect("words");
        assert!(
            said.starts_with("Verified to a reasonable degree"),
            "{said}"
        );
        assert!(said.contains("Name") || said.contains("name"), "{said}");
        assert_eq!(
            words("assigned", r#"{"assignee":"s1"}"#).as_deref(),
            Some("Assigned to ana@example.org.")
        );
        assert_eq!(
            words("assigned", r#"{"assignee":null}"#).as_deref(),
            Some("Nobody is assigned now.")
        );
        let found = words(
            "connector_run_done",
            r#"{"connector":"matomo","run":"r1","action":"find","counts":{"visits":3,"actions":12},"actionable":true}"#,
        )
        .expect("words");
        assert_eq!(
            found,
            "Find records on matomo. Found 15 record(s): actions (12), visits (3)."
        );
        let erased = words(
            "connector_run_done",
            r#"{"connector":"shop","run":"r2","action":"erase","deleted":{"customers":1,"orders":3},"changed":{"invoices":2},"remaining":{"customers":0,"invoices":0,"orders":0},"kept":[{"table":"invoices","column":"amount","rows":2,"reason":"tax law"}]}"#,
        )
        .expect("words");
        assert_eq!(
            erased,
            "Erase on shop. Erased 4 row(s) and changed 2. Searched again afterwards: no row remains. Kept on purpose: invoices.amount (tax law)."
        );
        let left = words(
            "connector_run_done",
            r#"{"connector":"shop","run":"r3","action":"erase","deleted":{"customers":1},"remaining":{"customers":0,"tickets":2}}"#,
        )
        .expect("words");
        assert!(
            left.ends_with("Searched again afterwards: 2 row(s) remain: tickets (2)."),
            "{left}"
        );
        let refused = words("denied", r#"{"reason":"no_data"}"#).expect("words");
        assert!(refused.starts_with("Reason: "), "{refused}");
    }

    #[test]
    fn nothing_to_say_is_silent_and_the_unknown_is_neutral() {
        assert_eq!(words("note_added", "{}"), None);
        assert_eq!(words("withdrawn", "{}"), None);
        for (action, detail) in [
            ("something_new", r#"{"a":{"b":[1,2]}}"#),
            ("assigned", "not json at all"),
        ] {
            let said = words(action, detail).expect("a sentence");
            assert!(!said.contains('{') && !said.contains('['), "{said}");
        }
    }
}
