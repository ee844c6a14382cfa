//! Giving a SQLite file's free pages back to the system.
//!
//! A queued email holds its rendered body (about 4 KB: text, HTML, links), which is
//! cleared once it is sent. SQLite keeps the freed pages inside the file for later
//! inserts, so after a burst of intake the file stays as large as the backlog of unsent
//! mail was at its peak (after 2,000 intakes, a quarter to a third of the file was free). A database
//! created with `auto_vacuum = INCREMENTAL` (every new one: `db::Manager` sets it
//! before the first table) can hand those pages back with `PRAGMA incremental_vacuum`,
//! which housekeeping runs here in bounded steps. A database created before keeps
//! `auto_vacuum = NONE`, where the pragma does nothing; docs/DEPLOYMENT.md says how to
//! convert one (a `VACUUM` while the portal is stopped).

use super::{queued_write, DbConn};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

/// Pages given back per pass at most, so the write lock is held briefly (a pass runs
/// every minute; 2,048 pages of 4 KiB is 8 MiB).
pub const STEP_PAGES: i64 = 2_048;

/// Free pages kept for the mail that steady traffic queues next (4 MiB of 4 KiB pages):
/// giving those back too would only make the file shrink and grow again.
pub const SLACK_PAGES: i64 = 1_024;

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn pragma(conn: &mut diesel::SqliteConnection, name: &str) -> QueryResult<i64> {
    diesel::sql_query(format!("SELECT {name} AS n FROM pragma_{name}()"))
        .get_result::<Number>(conn)
        .map(|r| r.n)
}

/// How many free pages this pass should give back: those beyond `SLACK_PAGES`, at most
/// `STEP_PAGES`. Pure, for the unit test.
pub fn pages_to_release(auto_vacuum: i64, free: i64) -> i64 {
    // 2 = INCREMENTAL; with NONE (0) the file cannot give pages back without a VACUUM,
    // and FULL (1) gives them back at every commit.
    if auto_vacuum != 2 {
        return 0;
    }
    (free - SLACK_PAGES).clamp(0, STEP_PAGES)
}

/// Gives back the free pages of a SQLite file beyond `SLACK_PAGES`, at most
/// `STEP_PAGES`; returns how many. PostgreSQL reuses dead space through (auto)vacuum: nothing to do.
pub fn release(conn: &mut DbConn) -> QueryResult<usize> {
    let DbConn::Sqlite(lite) = conn else {
        return Ok(0);
    };
    let mode = pragma(lite, "auto_vacuum")?;
    let free = pragma(lite, "freelist_count")?;
    let n = pages_to_release(mode, free);
    if n == 0 {
        return Ok(0);
    }
    // A write: behind the in-process writer queue like every other.
    queued_write(conn, |c| {
        c.batch_execute(&format!("PRAGMA incremental_vacuum({n});"))
    })?;
    Ok(usize::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_incremental_file_gives_back_its_free_pages_beyond_the_slack_in_steps() {
        assert_eq!(pages_to_release(0, 90_000), 0, "auto_vacuum NONE");
        assert_eq!(pages_to_release(1, 90_000), 0, "FULL does it itself");
        assert_eq!(pages_to_release(2, 0), 0);
        assert_eq!(pages_to_release(2, SLACK_PAGES), 0, "the slack stays");
        assert_eq!(pages_to_release(2, SLACK_PAGES + 10), 10);
        assert_eq!(pages_to_release(2, 90_000), STEP_PAGES);
    }
}
