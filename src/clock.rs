//! The one place that reads the time. Timestamps are UTC and truncated to whole
//! microseconds, the precision PostgreSQL keeps, so a value reads back exactly as it
//! was written on both backends (the audit hash chain depends on that).

use chrono::{NaiveDateTime, SubsecRound, Utc};

pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
