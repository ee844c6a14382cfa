//! Setup over mysql_async, each call on its own short-lived runtime and connection.

use super::*;

pub(super) fn run<T>(url: &str, work: impl AsyncFnOnce(&mut mysql_async::Conn) -> T) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            let mut conn = mysql_async::Conn::from_url(url).await.expect("connect");
            let out = work(&mut conn).await;
            conn.disconnect().await.expect("disconnect");
            out
        })
}

pub(super) fn execute(url: &str, statements: &[String]) {
    run(url, async |conn: &mut mysql_async::Conn| {
        for sql in statements {
            conn.query_drop(sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    })
}

pub(super) fn query_u64(url: &str, sql: String) -> u64 {
    run(url, async |conn: &mut mysql_async::Conn| {
        conn.query_first::<u64, _>(&sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .expect("a row")
    })
}

pub(super) fn count_prefixed(url: &str, prefix: &str) -> BTreeMap<String, u64> {
    LOG_TABLES
        .iter()
        .map(|t| {
            (
                t.to_string(),
                query_u64(url, format!("SELECT COUNT(*) FROM {prefix}{t}")),
            )
        })
        .collect()
}

pub(super) fn counts(url: &str) -> BTreeMap<String, u64> {
    count_prefixed(url, P)
}

pub(super) fn sizes(url: &str) -> String {
    let sql = format!(
        "SELECT TABLE_NAME, ROUND((DATA_LENGTH) / 1048576), ROUND(INDEX_LENGTH / 1048576) \
         FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
         AND TABLE_NAME LIKE '{P}log\\_%' ORDER BY TABLE_NAME"
    );
    let rows: Vec<(String, u64, u64)> = run(url, async |conn: &mut mysql_async::Conn| {
        conn.query(&sql).await.expect("sizes")
    });
    rows.iter()
        .map(|(t, d, i)| format!("{t} {d} MiB data + {i} MiB indexes"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How MariaDB runs the connector's two lookups on this data.
pub(super) fn explain(url: &str) {
    let lookups = [
        (
            "user_id",
            format!(
                "EXPLAIN SELECT idsite, idvisit, visit_first_action_time, visit_last_action_time \
                 FROM {P}log_visit WHERE user_id = CAST('{PERSON}' AS BINARY)"
            ),
        ),
        (
            "visitor id",
            format!(
                "EXPLAIN SELECT idsite, idvisit, visit_first_action_time, visit_last_action_time \
                 FROM {P}log_visit WHERE idsite IN (1) AND idvisitor = UNHEX('{}')",
                visitor_hex(PERSON)
            ),
        ),
    ];
    for (name, sql) in lookups {
        let rows: Vec<Row> = run(url, async |conn: &mut mysql_async::Conn| {
            conn.query(&sql).await.expect("explain")
        });
        for row in rows {
            let col = |c: &str| {
                row.get_opt::<Option<String>, _>(c)
                    .and_then(Result::ok)
                    .flatten()
                    .unwrap_or_else(|| "-".into())
            };
            println!(
                "EXPLAIN {name} lookup: type {}, key {}, rows {}, {}",
                col("type"),
                col("key"),
                col("rows"),
                col("Extra")
            );
        }
    }
}
