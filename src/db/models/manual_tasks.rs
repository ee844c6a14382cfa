//! `manual_tasks` and `manual_task_files`: the work owners of manual systems do by
//! hand, and the files they export. Notes, file names and contents are encrypted
//! (their contexts below); the rest are ids, codes and dates.

use crate::db::schema::{manual_task_files as mf, manual_tasks as mt};
use crate::db::DbConn;
use crate::domain::manual_tasks::{TaskAction, TaskStatus};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

pub const NOTE_CONTEXT: &str = "manual_tasks.note";
pub const FILE_NAME_CONTEXT: &str = "manual_task_files.name";
pub const FILE_CONTENT_CONTEXT: &str = "manual_task_files.content";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mt)]
pub struct TaskRow {
    pub id: String,
    pub request_id: String,
    /// The configured name of the manual system.
    pub system: String,
    pub action: TaskAction,
    /// The staff account doing it; `None` when the configured owner has no active account.
    pub owner_id: Option<String>,
    pub status: TaskStatus,
    pub due_on: NaiveDate,
    pub note_enc: Option<String>,
    pub created_at: NaiveDateTime,
    pub done_at: Option<NaiveDateTime>,
    pub done_by: Option<String>,
    pub reminded_on: Option<NaiveDate>,
    pub version: i64,
}

/// A stored file without its content (lists, the package reads content separately).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mf)]
pub struct FileInfo {
    pub id: String,
    pub task_id: String,
    pub request_id: String,
    pub name_enc: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_at: NaiveDateTime,
    pub uploaded_by: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = mf)]
pub struct NewFile<'a> {
    pub id: &'a str,
    pub task_id: &'a str,
    pub request_id: &'a str,
    pub name_enc: &'a str,
    pub media_type: &'a str,
    pub size_bytes: i64,
    pub sha256: &'a str,
    pub content_enc: Option<&'a str>,
    pub uploaded_at: NaiveDateTime,
    pub uploaded_by: &'a str,
}

pub fn insert(conn: &mut DbConn, row: &TaskRow) -> QueryResult<()> {
    diesel::insert_into(mt::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<TaskRow>> {
    mt::table
        .find(id)
        .select(TaskRow::as_select())
        .first(conn)
        .optional()
}

pub fn for_request(conn: &mut DbConn, request_id: &str) -> QueryResult<Vec<TaskRow>> {
    mt::table
        .filter(mt::request_id.eq(request_id))
        .order((mt::created_at.asc(), mt::id.asc()))
        .select(TaskRow::as_select())
        .load(conn)
}

/// Whether `request_id` already has an open task for `system` and `action`.
pub fn open_exists(
    conn: &mut DbConn,
    request_id: &str,
    system: &str,
    action: TaskAction,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        mt::table
            .filter(mt::request_id.eq(request_id))
            .filter(mt::system.eq(system))
            .filter(mt::action.eq(action))
            .filter(mt::status.eq(TaskStatus::Open)),
    ))
    .get_result(conn)
}

/// Open tasks, soonest due first: `owner` alone (index `manual_tasks_owner_open`), or
/// everyone's (`manual_tasks_open_due`); at most `limit`.
pub fn open(
    conn: &mut DbConn,
    owner: Option<&str>,
    due_before: Option<NaiveDate>,
    limit: i64,
) -> QueryResult<Vec<TaskRow>> {
    let mut q = mt::table
        .filter(mt::status.eq(TaskStatus::Open))
        .order((mt::due_on.asc(), mt::id.asc()))
        .limit(limit)
        .select(TaskRow::as_select())
        .into_boxed();
    if let Some(owner) = owner {
        q = q.filter(mt::owner_id.eq(owner));
    }
    if let Some(day) = due_before {
        q = q.filter(mt::due_on.lt(day));
    }
    q.load(conn)
}

/// Open tasks whose owner may need a reminder on `today`: due by `until`, not yet
/// reminded today, with an owner.
pub fn to_remind(
    conn: &mut DbConn,
    until: NaiveDate,
    today: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<TaskRow>> {
    mt::table
        .filter(mt::status.eq(TaskStatus::Open))
        .filter(mt::due_on.le(until))
        .filter(mt::owner_id.is_not_null())
        .filter(mt::reminded_on.is_null().or(mt::reminded_on.lt(today)))
        .order((mt::due_on.asc(), mt::id.asc()))
        .limit(limit)
        .select(TaskRow::as_select())
        .load(conn)
}

/// Records that the owner was reminded `today`; false when another pass did it first.
pub fn mark_reminded(conn: &mut DbConn, id: &str, today: NaiveDate) -> QueryResult<bool> {
    diesel::update(
        mt::table
            .find(id)
            .filter(mt::reminded_on.is_null().or(mt::reminded_on.lt(today))),
    )
    .set(mt::reminded_on.eq(today))
    .execute(conn)
    .map(|n| n == 1)
}

/// Finishes an open task seen at `version`; false when it changed meanwhile.
pub fn finish(
    conn: &mut DbConn,
    id: &str,
    version: i64,
    note_enc: Option<&str>,
    by: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        mt::table
            .find(id)
            .filter(mt::version.eq(version))
            .filter(mt::status.eq(TaskStatus::Open)),
    )
    .set((
        mt::status.eq(TaskStatus::Done),
        mt::note_enc.eq(note_enc),
        mt::done_at.eq(now),
        mt::done_by.eq(by),
        mt::version.eq(version + 1),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Gives an open task seen at `version` to `owner`; false when it changed meanwhile.
pub fn reassign(conn: &mut DbConn, id: &str, version: i64, owner: &str) -> QueryResult<bool> {
    diesel::update(
        mt::table
            .find(id)
            .filter(mt::version.eq(version))
            .filter(mt::status.eq(TaskStatus::Open)),
    )
    .set((
        mt::owner_id.eq(owner),
        mt::reminded_on.eq(None::<NaiveDate>),
        mt::version.eq(version + 1),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Moves the version on (a file added), so a page read before it is stale.
pub fn bump(conn: &mut DbConn, id: &str, version: i64) -> QueryResult<bool> {
    diesel::update(mt::table.find(id).filter(mt::version.eq(version)))
        .set(mt::version.eq(version + 1))
        .execute(conn)
        .map(|n| n == 1)
}

/// Cancels every open task of `request_id`; returns the ids cancelled.
pub fn cancel_open(
    conn: &mut DbConn,
    request_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    let ids: Vec<String> = mt::table
        .filter(mt::request_id.eq(request_id))
        .filter(mt::status.eq(TaskStatus::Open))
        .select(mt::id)
        .load(conn)?;
    if !ids.is_empty() {
        diesel::update(mt::table.filter(mt::id.eq_any(&ids)))
            .set((
                mt::status.eq(TaskStatus::Cancelled),
                mt::done_at.eq(now),
                mt::version.eq(mt::version + 1),
            ))
            .execute(conn)?;
    }
    Ok(ids)
}

pub fn insert_file(conn: &mut DbConn, file: &NewFile<'_>) -> QueryResult<()> {
    diesel::insert_into(mf::table)
        .values(file)
        .execute(conn)
        .map(|_| ())
}

pub fn files_of_request(conn: &mut DbConn, request_id: &str) -> QueryResult<Vec<FileInfo>> {
    mf::table
        .filter(mf::request_id.eq(request_id))
        .order((mf::uploaded_at.asc(), mf::id.asc()))
        .select(FileInfo::as_select())
        .load(conn)
}

/// The sealed content of a file, if it is still kept.
pub fn file_content(conn: &mut DbConn, id: &str) -> QueryResult<Option<String>> {
    mf::table
        .find(id)
        .select(mf::content_enc)
        .first::<Option<String>>(conn)
        .optional()
        .map(Option::flatten)
}
