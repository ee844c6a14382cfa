//! Erasing the person's visits in batches, Matomo's tables in Matomo's order, and the
//! follow-up the operator must run so archived reports forget them too.

use super::errors::db_error;
use super::export::refuse_weak;
use super::sql::*;
use super::{MatomoDb, Visit};
use crate::connectors::{ConnectorError, ErasureReport, Matches};
use chrono::NaiveDate;
use mysql_async::prelude::Queryable;
use mysql_async::TxOpts;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

impl MatomoDb {
    pub(super) async fn erase_async(
        &self,
        matches: &Matches,
    ) -> Result<ErasureReport, ConnectorError> {
        refuse_weak(matches)?;
        let ids = self.visit_refs(matches)?;
        let mut conn = self.connect().await?;
        let present = self.visits_by_id(&mut conn, &ids).await?;

        let (action_columns, candidates) = if self.purge_orphaned_actions {
            let columns = self.action_columns(&mut conn).await?;
            // Every action the rows about to be deleted name, in whichever column.
            let mut candidates = BTreeSet::new();
            for table in ERASE_ORDER {
                if let Some(cols) = columns.get(table) {
                    candidates.extend(self.actions_of_visits(&mut conn, table, &ids, cols).await?);
                }
            }
            (columns, candidates)
        } else {
            (BTreeMap::new(), BTreeSet::new())
        };

        let mut deleted: BTreeMap<String, u64> =
            ERASE_ORDER.iter().map(|t| (t.to_string(), 0)).collect();
        // One transaction per batch: a batch is all or nothing, while a long erase does not
        // hold locks that would stall Matomo's tracker for its whole duration.
        for batch in ids.chunks(self.batch_size) {
            let mut tx = conn
                .start_transaction(TxOpts::default())
                .await
                .map_err(db_error)?;
            for table in ERASE_ORDER {
                let sql = format!(
                    "DELETE FROM {} WHERE idvisit IN ({})",
                    self.table(table),
                    placeholders(batch.len())
                );
                tx.exec_drop(sql, ids_params(batch))
                    .await
                    .map_err(db_error)?;
                *deleted.entry(table.to_string()).or_default() += tx.affected_rows();
            }
            tx.commit().await.map_err(db_error)?;
        }

        if self.purge_orphaned_actions {
            let n = self
                .purge_orphans(&mut conn, &candidates, &action_columns)
                .await?;
            deleted.insert(LOG_ACTION.to_string(), n);
        }

        tracing::info!(
            connector = %self.name,
            visits = deleted.get(LOG_VISIT).copied().unwrap_or(0),
            "matomo visits erased"
        );
        Ok(ErasureReport {
            deleted,
            follow_up: follow_up(&present, ids.len(), matches),
            ..Default::default()
        })
    }
}

/// The operator's follow-up: archives keep the erased visits (the UserId report even keeps
/// user ids) until they are invalidated and rebuilt.
fn follow_up(present: &[Visit], requested: usize, matches: &Matches) -> Vec<String> {
    let sites: BTreeSet<u32> = present.iter().map(|v| v.idsite).collect();
    let dates: BTreeSet<NaiveDate> = present
        .iter()
        .filter_map(|v| v.last.or(v.first))
        .map(|t| t.date())
        .collect();
    let mut notes = Vec::new();
    if !dates.is_empty() {
        // --dates is repeated rather than comma-joined: Matomo reads "a,b" as the whole
        // range from a to b, and rejects three or more comma-separated dates.
        let dates: Vec<String> = dates
            .iter()
            .map(|d| format!("--dates={}", d.format("%Y-%m-%d")))
            .collect();
        notes.push(format!(
            "Matomo's archived reports still count the erased visits: run `./console \
             core:invalidate-report-data {} --sites={}` on the Matomo server, and the next \
             core:archive run rebuilds those reports without them.",
            dates.join(" "),
            join(&sites)
        ));
    }
    if present.len() < requested {
        // Visits already gone were erased by an earlier run (or Matomo's own purge); if
        // that run failed part-way its follow-up was never shown, so the whole period the
        // preview covered is named instead.
        let day = |s: &Option<String>| s.as_deref().and_then(|s| s.get(..10)).map(str::to_string);
        if let (Some(first), Some(last)) = (day(&matches.first_seen), day(&matches.last_seen)) {
            notes.push(format!(
                "Some of these visits had already been erased before this run; if that earlier \
                 erase did not finish, also run `./console core:invalidate-report-data \
                 --dates={first},{last} --sites={}` so that reports from that whole period \
                 are rebuilt.",
                sites_of_refs(matches)
            ));
        }
    }
    if notes.is_empty() {
        notes.push("Nothing was left to delete, so no Matomo reports need invalidating.".into());
    }
    notes
}

fn sites_of_refs(matches: &Matches) -> String {
    let sites: BTreeSet<u64> = matches
        .refs
        .get("visits")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|pair| pair.get(0).and_then(Json::as_u64))
        .collect();
    join(&sites)
}

fn join<T: ToString>(items: &BTreeSet<T>) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    use chrono::NaiveDateTime;

    #[test]
    fn follow_up_repeats_dates_and_lists_sites() {
        let at = |d: &str| NaiveDateTime::parse_from_str(d, "%Y-%m-%d %H:%M:%S").ok();
        let visits = [
            Visit {
                idsite: 2,
                idvisit: 7,
                first: at("2025-02-11 09:00:00"),
                last: at("2025-02-11 09:30:00"),
            },
            Visit {
                idsite: 1,
                idvisit: 3,
                first: at("2025-01-03 10:00:00"),
                last: at("2025-01-03 10:05:00"),
            },
            Visit {
                idsite: 1,
                idvisit: 4,
                first: at("2025-01-03 11:00:00"),
                last: at("2025-01-03 11:05:00"),
            },
        ];
        let notes = follow_up(&visits, 3, &Matches::default());
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains(
            "./console core:invalidate-report-data --dates=2025-01-03 --dates=2025-02-11 --sites=1,2"
        ));
        assert!(notes[0].contains("core:archive"));
    }
}
