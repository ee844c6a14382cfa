//! The metrics page's team figures against a known set of requests: on-time rate and
//! median days per law for a year, and the twelve months to today (received, answered,
//! on time), on the page (chart and table) and in the CSV.

use crate::helpers::*;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};

fn at(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(9, 0, 0).expect("time")
}

/// Rewrites a filed request's dates (and, when answered, its status) in place.
fn place(
    app: &TestApp,
    id: &str,
    received: NaiveDate,
    due: NaiveDate,
    answered: Option<NaiveDate>,
    status: &str,
) {
    let fmt = |t: NaiveDateTime| format!("'{}'", t.format("%Y-%m-%d %H:%M:%S"));
    let answered_at = answered
        .map(|d| fmt(at(d)))
        .unwrap_or_else(|| "NULL".into());
    let closed = if status == "email_verified" {
        "NULL".to_string()
    } else {
        fmt(at(answered.unwrap_or(received)))
    };
    app.exec(&format!(
        "UPDATE requests SET received_at = {}, due_on = '{due}', responded_at = {answered_at}, \
         status = '{status}', closed_at = {closed} WHERE id = '{id}'",
        fmt(at(received)),
    ));
}

fn month_start(today: NaiveDate, back: i32) -> NaiveDate {
    let i = today.year() * 12 + today.month0() as i32 - back;
    NaiveDate::from_ymd_opt(i.div_euclid(12), i.rem_euclid(12) as u32 + 1, 1).expect("month")
}

#[actix_web::test]
async fn figures_match_a_known_set_of_requests_across_months() {
    each_backend(|app| async move {
        let mut ids = Vec::new();
        for (n, place_) in ["eu", "eu", "california", "california", "eu", "eu", "california", "california"].iter().enumerate() {
            ids.push(verified(&app, place_, "access", &format!("p{n}@example.com")).await.0);
        }
        let today = chrono::Utc::now().date_naive();
        let (m2, m1, m0) = (month_start(today, 2), month_start(today, 1), month_start(today, 0));
        // The last twelve months.
        let a = m2 + Duration::days(2);
        place(&app, &ids[0], a, a + Duration::days(30), Some(a + Duration::days(10)), "fulfilled");
        let b = m2 + Duration::days(9);
        place(&app, &ids[1], b, b + Duration::days(30), Some(b + Duration::days(41)), "fulfilled");
        let c = m1 + Duration::days(4);
        place(&app, &ids[2], c, c + Duration::days(45), None, "email_verified");
        place(&app, &ids[3], m0, m0 + Duration::days(45), Some(m0), "denied");
        // 2024, long before the twelve months.
        let d = |m, day| NaiveDate::from_ymd_opt(2024, m, day).expect("day");
        place(&app, &ids[4], d(3, 1), d(3, 31), Some(d(3, 11)), "fulfilled");
        place(&app, &ids[5], d(5, 1), d(5, 31), Some(d(6, 10)), "fulfilled");
        place(&app, &ids[6], d(7, 1), d(8, 15), Some(d(7, 21)), "denied");
        place(&app, &ids[7], d(9, 1), d(10, 16), None, "withdrawn");

        let auditor = app.staff("auditor").await;
        let (s, page) = auditor.get("/staff/metrics?year=2024").await;
        assert_eq!(s, 200);
        assert!(page.contains("<th scope=\"row\">GDPR</th><td>2</td><td>1</td><td>50 %</td><td>25.0</td>"), "{page}");
        assert!(page.contains("<th scope=\"row\">CCPA/CPRA</th><td>1</td><td>1</td><td>100 %</td><td>20.0</td>"), "{page}");
        assert!(page.contains("<th scope=\"row\">All laws</th><td>3</td><td>2</td><td>67 %</td><td>20.0</td>"), "withdrawn left out: {page}");

        // The chart is an image with a title and a description, the table its text.
        assert!(page.contains("role=\"img\" aria-labelledby=\"trend-title trend-desc\""));
        assert!(page.contains("requests received (4 in all) and requests answered (3 in all)"), "{page}");
        let row = |m: NaiveDate, rest: &str| format!("<th scope=\"row\">{}</th>{rest}", m.format("%B %Y"));
        assert!(page.contains(&row(m2, "<td>2</td><td>1</td><td>100 %</td>")), "{page}");
        assert!(page.contains(&row(m1, "<td>1</td><td>1</td><td>0 %</td>")), "{page}");
        assert!(page.contains(&row(m0, "<td>1</td><td>1</td><td>100 %</td>")), "{page}");
        assert!(page.contains(&row(month_start(today, 3), "<td>0</td><td>0</td><td>none yet</td>")), "an empty month");
        assert_eq!(page.matches("class=\"rate-dot\"").count(), 3, "no rate drawn for months without answers");

        let csv = auditor.get_response("/staff/metrics.csv?year=2024").await.text().await.expect("csv");
        assert!(csv.contains("\nlaw,answered,answered_on_time,on_time_percent,median_days_to_answer\ngdpr,2,1,50,25.0\nccpa,1,1,100,20.0\n"), "{csv}");
        assert!(csv.contains(&format!("\n{},2,1,1,100\n", m2.format("%Y-%m"))), "{csv}");
        assert!(csv.contains(&format!("\n{},1,1,0,0\n", m1.format("%Y-%m"))), "{csv}");
        assert!(csv.contains(&format!("\n{},0,0,0,\n", month_start(today, 3).format("%Y-%m"))), "{csv}");
        assert_eq!(csv.matches("\n20").count() - csv.matches("\n2024,").count(), 12, "twelve months: {csv}");
    })
    .await;
}
