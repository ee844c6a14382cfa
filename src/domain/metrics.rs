//! The CCPA §7102 table: per kind of request, how many were received, complied with in
//! whole or in part, and denied (by reason), with the median and mean days to respond.

use crate::i18n::key;
use serde::Serialize;
use std::collections::BTreeMap;

/// One request as the metrics need it.
#[derive(Debug, Clone)]
pub struct Record {
    pub group: &'static str,
    pub status: String,
    pub outcome: Option<String>,
    pub denial_code: Option<String>,
    /// Whole days from receipt to response, when there was a response.
    pub days_to_respond: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Row {
    pub group: &'static str,
    pub label_key: &'static str,
    pub received: i64,
    pub complied_whole: i64,
    pub complied_part: i64,
    pub denied: i64,
    pub denied_by_reason: BTreeMap<String, i64>,
    pub median_days: Option<f64>,
    pub mean_days: Option<f64>,
}

/// The table's rows: each group with its label key.
pub const GROUPS: &[(&str, &str)] = &[
    ("know", key("metrics_groups.know")),
    ("delete", key("metrics_groups.delete")),
    ("correct", key("metrics_groups.correct")),
    ("opt_out", key("metrics_groups.opt_out")),
    ("other_gdpr", key("metrics_groups.other_gdpr")),
    ("appeal", key("metrics_groups.appeal")),
];

pub fn median(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2] as f64
    } else {
        (values[n / 2 - 1] + values[n / 2]) as f64 / 2.0
    })
}

pub fn table(records: &[Record]) -> Vec<Row> {
    GROUPS
        .iter()
        .map(|(group, label_key)| {
            let mut row = Row {
                group,
                label_key,
                ..Row::default()
            };
            let mut days = Vec::new();
            for r in records.iter().filter(|r| r.group == *group) {
                row.received += 1;
                match (r.status.as_str(), r.outcome.as_deref()) {
                    ("fulfilled", Some("part")) => row.complied_part += 1,
                    ("fulfilled", _) => row.complied_whole += 1,
                    ("denied", _) => {
                        row.denied += 1;
                        let code = r
                            .denial_code
                            .clone()
                            .unwrap_or_else(|| "unspecified".into());
                        *row.denied_by_reason.entry(code).or_default() += 1;
                    }
                    _ => {}
                }
                if let Some(d) = r.days_to_respond {
                    days.push(d);
                }
            }
            if !days.is_empty() {
                row.mean_days = Some(days.iter().sum::<i64>() as f64 / days.len() as f64);
            }
            row.median_days = median(&mut days);
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(
        group: &'static str,
        status: &str,
        outcome: Option<&str>,
        code: Option<&str>,
        days: Option<i64>,
    ) -> Record {
        Record {
            group,
            status: status.into(),
            outcome: outcome.map(Into::into),
            denial_code: code.map(Into::into),
            days_to_respond: days,
        }
    }

    #[test]
    fn counts_and_averages_per_group() {
        let t = table(&[
            rec("know", "fulfilled", Some("whole"), None, Some(10)),
            rec("know", "fulfilled", Some("part"), None, Some(20)),
            rec(
                "know",
                "denied",
                None,
                Some("identity_not_verified"),
                Some(45),
            ),
            rec("know", "in_progress", None, None, None),
            rec("delete", "denied", None, Some("other"), Some(3)),
        ]);
        let know = &t[0];
        assert_eq!(
            (
                know.received,
                know.complied_whole,
                know.complied_part,
                know.denied
            ),
            (4, 1, 1, 1)
        );
        assert_eq!(know.denied_by_reason["identity_not_verified"], 1);
        assert_eq!(know.median_days, Some(20.0));
        assert_eq!(know.mean_days, Some(25.0));
        assert_eq!(t[1].received, 1);
        assert_eq!(t[2].received, 0);
        assert_eq!(t[2].median_days, None);
    }

    #[test]
    fn median_of_even_count_is_the_middle_mean() {
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }
}
