//! The test's own connection to the shop database, beside the connector's: it builds the
//! tables, seeds them and reads them back as text, so that what the connector did is
//! checked with plain SQL rather than with the connector itself.

use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};
use mysql_async::prelude::Queryable;
use std::future::Future;
use std::sync::Mutex;

/// Rows read back: column names, then every row with each column's text form (`None` for
/// NULL), as the database itself writes the value.
pub(crate) struct Rows {
    pub(crate) columns: Vec<String>,
    pub(crate) rows: Vec<Vec<Option<String>>>,
}

pub(crate) enum Direct {
    /// search_path set to the test's own schema.
    Postgres(Box<Mutex<postgres::Client>>),
    /// A URL naming the test's own database; a connection per call, as the Matomo tests
    /// do, so no runtime outlives a call.
    MySql(String),
    Sqlite(Mutex<diesel::SqliteConnection>),
}

fn run<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("test runtime")
        .block_on(future)
}

impl Direct {
    pub(crate) fn postgres(url: &str, schema: &str) -> Direct {
        let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
        client
            .batch_execute(&format!("SET search_path TO {schema}"))
            .expect("search_path");
        Direct::Postgres(Box::new(Mutex::new(client)))
    }

    pub(crate) fn mysql(url: &str) -> Direct {
        Direct::MySql(url.to_string())
    }

    pub(crate) fn sqlite(path: &str) -> Direct {
        let mut conn = diesel::SqliteConnection::establish(path).expect("open sqlite");
        conn.batch_execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;")
            .expect("pragmas");
        Direct::Sqlite(Mutex::new(conn))
    }

    /// Runs each statement, panicking with the statement on failure.
    pub(crate) fn execute(&self, statements: &[String]) {
        match self {
            Direct::Postgres(client) => {
                let mut client = client.lock().unwrap_or_else(|e| e.into_inner());
                for sql in statements {
                    client
                        .batch_execute(sql)
                        .unwrap_or_else(|e| panic!("{sql}: {e}"));
                }
            }
            Direct::MySql(url) => {
                let url = url.clone();
                run(async move {
                    let mut conn = mysql_async::Conn::from_url(url).await.expect("connect");
                    for sql in statements {
                        conn.query_drop(sql)
                            .await
                            .unwrap_or_else(|e| panic!("{sql}: {e}"));
                    }
                    conn.disconnect().await.expect("disconnect");
                })
            }
            Direct::Sqlite(conn) => {
                let mut conn = conn.lock().unwrap_or_else(|e| e.into_inner());
                for sql in statements {
                    conn.batch_execute(sql)
                        .unwrap_or_else(|e| panic!("{sql}: {e}"));
                }
            }
        }
    }

    /// The values of the first column a query selects, as text; the query names it `v`.
    pub(crate) fn texts(&self, sql: &str) -> Vec<Option<String>> {
        match self {
            Direct::Sqlite(conn) => {
                #[derive(diesel::QueryableByName)]
                struct V {
                    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
                    v: Option<String>,
                }
                let mut conn = conn.lock().unwrap_or_else(|e| e.into_inner());
                diesel::sql_query(format!("SELECT CAST(v AS TEXT) AS v FROM ({sql})"))
                    .load::<V>(&mut *conn)
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
                    .into_iter()
                    .map(|r| r.v)
                    .collect()
            }
            _ => self
                .query(sql)
                .rows
                .into_iter()
                .map(|mut r| r.swap_remove(0))
                .collect(),
        }
    }

    /// Integer ids a query selects as `v`, sorted.
    pub(crate) fn ids(&self, sql: &str) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .texts(sql)
            .into_iter()
            .map(|v| {
                v.expect("an id")
                    .parse()
                    .unwrap_or_else(|e| panic!("{sql}: not an id: {e}"))
            })
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Every row of a table ordered by id, every column as text.
    pub(crate) fn table(&self, table: &str) -> Rows {
        match self {
            Direct::Sqlite(_) => {
                let columns: Vec<String> = self
                    .texts(&format!(
                        "SELECT name AS v FROM pragma_table_info('{table}') ORDER BY cid"
                    ))
                    .into_iter()
                    .map(|c| c.expect("a column name"))
                    .collect();
                // json_array keeps NULL apart from the text "NULL" and writes text as it is.
                let joined = columns
                    .iter()
                    .map(|c| format!("\"{c}\""))
                    .collect::<Vec<_>>()
                    .join(", ");
                let rows = self
                    .texts(&format!(
                        "SELECT json_array({joined}) AS v FROM {table} ORDER BY id"
                    ))
                    .into_iter()
                    .map(|line| json_values(&line.expect("a row")))
                    .collect();
                Rows { columns, rows }
            }
            _ => self.query(&format!("SELECT * FROM {table} ORDER BY id")),
        }
    }

    /// A query through the text protocol: every value arrives in its text form.
    fn query(&self, sql: &str) -> Rows {
        match self {
            Direct::Postgres(client) => {
                let mut client = client.lock().unwrap_or_else(|e| e.into_inner());
                let messages = client
                    .simple_query(sql)
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
                let mut out = Rows {
                    columns: Vec::new(),
                    rows: Vec::new(),
                };
                for m in messages {
                    if let postgres::SimpleQueryMessage::Row(row) = m {
                        if out.columns.is_empty() {
                            out.columns = row.columns().iter().map(|c| c.name().into()).collect();
                        }
                        out.rows.push(
                            (0..row.len())
                                .map(|i| row.get(i).map(str::to_string))
                                .collect(),
                        );
                    }
                }
                out
            }
            Direct::MySql(url) => {
                let url = url.clone();
                run(async move {
                    let mut conn = mysql_async::Conn::from_url(url).await.expect("connect");
                    let rows: Vec<mysql_async::Row> = conn
                        .query(sql)
                        .await
                        .unwrap_or_else(|e| panic!("{sql}: {e}"));
                    conn.disconnect().await.expect("disconnect");
                    let columns = rows
                        .first()
                        .map(|r| {
                            r.columns_ref()
                                .iter()
                                .map(|c| c.name_str().into_owned())
                                .collect()
                        })
                        .unwrap_or_default();
                    let rows = rows
                        .into_iter()
                        .map(|r| r.unwrap().into_iter().map(mysql_text).collect())
                        .collect();
                    Rows { columns, rows }
                })
            }
            Direct::Sqlite(_) => unreachable!("SQLite rows are read through texts()"),
        }
    }
}

fn mysql_text(v: mysql_async::Value) -> Option<String> {
    match v {
        mysql_async::Value::NULL => None,
        mysql_async::Value::Bytes(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        other => Some(other.as_sql(true)),
    }
}

fn json_values(line: &str) -> Vec<Option<String>> {
    let values: Vec<serde_json::Value> = serde_json::from_str(line).expect("a JSON array");
    values
        .into_iter()
        .map(|v| match v {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s),
            other => Some(other.to_string()),
        })
        .collect()
}
