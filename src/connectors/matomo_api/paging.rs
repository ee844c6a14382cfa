//! Paging through a search past Matomo's cap of 401 visits.
//!
//! `PrivacyManager.findDataSubjects` runs `Live.getLastVisitsDetails` with
//! `filter_limit=401` and no offset of its own, but as a nested API request it inherits
//! the caller's other parameters (plugins/PrivacyManager/API.php, core/API/Request.php
//! `processRequest`, core/Context.php). Two of them make keyset paging possible:
//! - `filter_sort_order=asc`: Live\Model orders by `visit_last_action_time, idvisit`
//!   (behind `idsite` when one site is searched), ascending — a total order;
//! - `minTimestamp`: adds `visit_last_action_time > ?` (UTC, whole seconds).
//!
//! So after a page ending at time T, the next asks for `> T - 1 s` (T and later) and
//! skips the visits already seen at T, which come first. Only when a whole page is one
//! second does that not move on; the search then walks that second by visit id
//! (`;visitId>V`, which keeps the order) and goes on after it with `> T`. No page is
//! missed and none repeated while visits are added, unlike `filter_offset` (which Live
//! also reads, but whose bookkeeping across its date sub-ranges can skip visits when
//! one range holds more than a page).

use super::segments::segment_condition;
use super::wire::{as_u64, parse_datetime};
use super::FIND_CAP;
use crate::connectors::ConnectorError;
use chrono::NaiveDateTime;
use serde_json::Value as Json;
use std::collections::BTreeSet;

/// One visit as `findDataSubjects` lists it, with what matching and paging need.
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub idsite: u64,
    pub idvisit: u64,
    pub visitor_id: Option<String>,
    pub user_id: Option<String>,
    pub last_action: NaiveDateTime,
}

impl Row {
    /// None when a field paging depends on is missing.
    pub(super) fn from_json(row: &Json) -> Option<Row> {
        let text = |name: &str| row.get(name).and_then(Json::as_str).map(str::to_string);
        Some(Row {
            idsite: row.get("idSite").and_then(as_u64)?,
            idvisit: row.get("idVisit").and_then(as_u64)?,
            visitor_id: text("visitorId"),
            user_id: text("userId"),
            last_action: row
                .get("lastActionDateTime")
                .and_then(Json::as_str)
                .and_then(parse_datetime)?,
        })
    }
}

/// Every visit a segment finds, each once, in Matomo's order.
#[derive(Debug, Default)]
pub(super) struct Searched {
    pub rows: Vec<Row>,
    /// False when `max_pages` ran out before the end.
    pub complete: bool,
}

/// The next page to ask for.
struct Next {
    /// Only visits after this second (Matomo's `minTimestamp`, exclusive).
    after: Option<i64>,
    /// Walking one second by visit id: that second, and the last visit id seen in it.
    within: Option<(NaiveDateTime, u64)>,
}

/// Pages through `segment` with `page(segment, min_timestamp)`, which must return one
/// `findDataSubjects` answer in ascending order.
pub(super) fn search_all(
    segment: &str,
    max_pages: usize,
    mut page: impl FnMut(&str, Option<i64>) -> Result<Vec<Row>, ConnectorError>,
) -> Result<Searched, ConnectorError> {
    let mut seen: BTreeSet<(u64, u64)> = BTreeSet::new();
    let mut out = Searched::default();
    let mut next = Next {
        after: None,
        within: None,
    };
    for _ in 0..max_pages {
        let rows = match next.within {
            Some((second, last_id)) => {
                let narrowed = format!(
                    "{segment};{}",
                    segment_condition("visitId", ">", &last_id.to_string())
                );
                page(&narrowed, Some(second.and_utc().timestamp() - 1))?
            }
            None => page(segment, next.after)?,
        };
        let full = rows.len() >= FIND_CAP;
        let within = next.within;
        let ends = rows
            .first()
            .zip(rows.last())
            .map(|(first, last)| (first.last_action, last.last_action, last.idvisit));
        for row in rows {
            // Walking one second, the later visits come back narrowed by id: they are
            // read again, whole, once the second is done.
            if within.is_some_and(|(second, _)| row.last_action != second) {
                continue;
            }
            if seen.insert((row.idsite, row.idvisit)) {
                out.rows.push(row);
            }
        }
        next = match (within, ends) {
            // More of that second may follow this page.
            (Some((second, _)), Some((_, last_at, last_id))) if full && last_at == second => Next {
                after: None,
                within: Some((second, last_id)),
            },
            // The second is done; what follows it was narrowed by id, so it is read again.
            (Some((second, _)), _) => Next {
                after: Some(second.and_utc().timestamp()),
                within: None,
            },
            (None, Some((first_at, last_at, last_id))) if full => {
                if first_at == last_at {
                    // A whole page in one second: time alone cannot move on.
                    Next {
                        after: None,
                        within: Some((last_at, last_id)),
                    }
                } else {
                    // That second again (its seen visits come first), and on.
                    Next {
                        after: Some(last_at.and_utc().timestamp() - 1),
                        within: None,
                    }
                }
            }
            (None, _) => {
                out.complete = true;
                return Ok(out);
            }
        };
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    /// Matomo's side for one search: ascending by (time, id), `minTimestamp` exclusive,
    /// an optional `visitId>` narrowing, at most 401 rows.
    fn matomo(visits: &[(i64, u64)], segment: &str, min: Option<i64>) -> Vec<Row> {
        let above = segment
            .split_once(";visitId>")
            .map_or(0, |(_, id)| id.parse::<u64>().expect("an id"));
        let mut rows: Vec<(i64, u64)> = visits
            .iter()
            .copied()
            .filter(|(t, id)| min.is_none_or(|m| *t > m) && *id > above)
            .collect();
        rows.sort_unstable();
        rows.into_iter()
            .take(FIND_CAP)
            .map(|(t, id)| Row {
                idsite: 1,
                idvisit: id,
                visitor_id: None,
                user_id: None,
                last_action: NaiveDate::from_ymd_opt(2025, 1, 1)
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .expect("a date")
                    + chrono::Duration::seconds(t),
            })
            .collect()
    }

    fn ids(visits: &[(i64, u64)], max_pages: usize) -> (Vec<u64>, bool, usize) {
        let mut calls = 0;
        let base = NaiveDate::from_ymd_opt(2025, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("a date")
            .and_utc()
            .timestamp();
        let found = search_all("userId==a", max_pages, |segment, min| {
            calls += 1;
            Ok(matomo(visits, segment, min.map(|m| m - base)))
        })
        .expect("search");
        let mut ids: Vec<u64> = found.rows.iter().map(|r| r.idvisit).collect();
        ids.sort_unstable();
        (ids, found.complete, calls)
    }

    #[test]
    fn pages_cover_every_visit_once() {
        // 900 visits, three per second, ids not in time order.
        let visits: Vec<(i64, u64)> = (0..900i64)
            .map(|i| (i / 3, ((i * 7919) % 900 + 1) as u64))
            .collect();
        let (found, complete, calls) = ids(&visits, 100);
        assert_eq!(found, (1..=900).collect::<Vec<u64>>());
        assert!(complete);
        assert_eq!(calls, 3);
    }

    #[test]
    fn a_second_with_more_than_a_page_is_walked_by_id() {
        let mut visits: Vec<(i64, u64)> = (1..=900).map(|id| (50, id)).collect();
        visits.extend((901..=905).map(|id| (10, id)));
        visits.extend((906..=910).map(|id| (90 + id as i64, id)));
        // Exactly a page's worth in the last second.
        visits.extend((911..=1311).map(|id| (5000, id)));
        let (found, complete, _) = ids(&visits, 100);
        assert_eq!(found, (1..=1311).collect::<Vec<u64>>());
        assert!(complete);
    }

    #[test]
    fn the_page_bound_is_reported() {
        let visits: Vec<(i64, u64)> = (0..2000).map(|i| (i, i as u64 + 1)).collect();
        let (found, complete, calls) = ids(&visits, 2);
        assert!(!complete);
        assert_eq!(calls, 2);
        assert_eq!(found.len(), 801);
        let (_, complete, _) = ids(&[], 1);
        assert!(complete);
    }
}
