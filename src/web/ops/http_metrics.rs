//! HTTP latency histograms, recorded by a small middleware.
//!
//! Series are keyed by the route *pattern* (`/status/{token}`), never the path: paths
//! carry secret tokens and request ids, and one series per path would grow without
//! bound. Counting is lock-free (atomics); the map of series takes a write lock only the
//! first time a (method, route, status class) is seen, and those are few.

use super::Ops;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Upper bounds in seconds (Prometheus's default buckets; `+Inf` is the count).
pub const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    /// Observations at or below each bound (cumulative when written out).
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

/// (method, route pattern, status class).
type Key = (String, String, &'static str);

#[derive(Default)]
pub struct HttpMetrics {
    series: RwLock<BTreeMap<Key, Arc<Histogram>>>,
}

impl HttpMetrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let key = (method.to_string(), route.to_string(), status_class(status));
        let known = self
            .series
            .read()
            .ok()
            .and_then(|map| map.get(&key).cloned());
        let histogram = match known {
            Some(h) => h,
            None => match self.series.write() {
                Ok(mut map) => map.entry(key).or_default().clone(),
                // A panicked writer leaves the lock poisoned; losing one sample is fine.
                Err(_) => return,
            },
        };
        histogram.observe(elapsed);
    }

    /// The histograms in the Prometheus text format.
    pub fn write(&self, out: &mut String) {
        let name = "dsar_http_request_duration_seconds";
        super::metrics::family(
            out,
            name,
            "histogram",
            "Time to answer HTTP requests, by route pattern and status class.",
        );
        let Ok(map) = self.series.read() else { return };
        for ((method, route, class), h) in map.iter() {
            let labels =
                super::metrics::labels(&[("method", method), ("route", route), ("status", class)]);
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(&h.buckets) {
                cumulative += n.load(Ordering::Relaxed);
                let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
            }
            let count = h.count.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {count}");
            let sum = h.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
            let _ = writeln!(out, "{name}_count{{{labels}}} {count}");
        }
    }
}

fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// The middleware: times every request and files it under its route pattern.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let ops = req.app_data::<web::Data<Ops>>().cloned();
    let method = req.method().as_str().to_string();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "(no route)".to_string());
    let result = next.call(req).await;
    if let Some(ops) = ops {
        let status = match &result {
            Ok(res) => res.status().as_u16(),
            Err(e) => e.as_response_error().status_code().as_u16(),
        };
        ops.http.observe(&method, &route, status, started.elapsed());
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_keyed_by_pattern() {
        let m = HttpMetrics::default();
        m.observe("GET", "/status/{token}", 200, Duration::from_millis(3));
        m.observe("GET", "/status/{token}", 204, Duration::from_millis(30));
        m.observe("GET", "/status/{token}", 404, Duration::from_secs(20));
        let mut out = String::new();
        m.write(&mut out);
        let line = |needle: &str| {
            out.lines()
                .find(|l| l.starts_with(needle))
                .unwrap_or_else(|| panic!("no {needle} in\n{out}"))
                .to_string()
        };
        let two = "dsar_http_request_duration_seconds_bucket{method=\"GET\",route=\"/status/{token}\",status=\"2xx\"";
        assert!(line(&format!("{two},le=\"0.005\"}}")).ends_with(" 1"));
        assert!(line(&format!("{two},le=\"0.025\"}}")).ends_with(" 1"));
        assert!(line(&format!("{two},le=\"0.05\"}}")).ends_with(" 2"));
        assert!(line(&format!("{two},le=\"+Inf\"}}")).ends_with(" 2"));
        let four = "dsar_http_request_duration_seconds_bucket{method=\"GET\",route=\"/status/{token}\",status=\"4xx\"";
        assert!(line(&format!("{four},le=\"10\"}}")).ends_with(" 0"));
        assert!(line(&format!("{four},le=\"+Inf\"}}")).ends_with(" 1"));
    }
}
