//! `reply_templates`: the saved replies staff start a message from. Few rows (tens),
//! read whole; `purpose`, `kind` and `regime` are codes (`domain::reply_text`).

use crate::db::schema::reply_templates as rt;
use crate::db::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = rt)]
pub struct ReplyTemplateRow {
    pub id: String,
    pub name: String,
    pub purpose: String,
    /// A request kind's code or `any`.
    pub kind: String,
    /// A regime's code or `any`.
    pub regime: String,
    pub body: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Every saved reply, by purpose then name.
pub fn list(conn: &mut DbConn) -> QueryResult<Vec<ReplyTemplateRow>> {
    rt::table
        .order((rt::purpose.asc(), rt::name.asc(), rt::id.asc()))
        .select(ReplyTemplateRow::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<ReplyTemplateRow>> {
    rt::table
        .find(id)
        .select(ReplyTemplateRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConn, row: &ReplyTemplateRow) -> QueryResult<()> {
    diesel::insert_into(rt::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Replaces the editable fields; answers whether the row was there.
pub fn update(conn: &mut DbConn, row: &ReplyTemplateRow) -> QueryResult<bool> {
    diesel::update(rt::table.find(&row.id))
        .set((
            rt::name.eq(&row.name),
            rt::purpose.eq(&row.purpose),
            rt::kind.eq(&row.kind),
            rt::regime.eq(&row.regime),
            rt::body.eq(&row.body),
            rt::updated_at.eq(row.updated_at),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// Answers whether the row was there.
pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::delete(rt::table.find(id))
        .execute(conn)
        .map(|n| n == 1)
}
