//! Endpoints for operators and their machines: `/readyz` (can this instance do its work:
//! database, outgoing mail, connected systems) and `/metrics` (Prometheus). `/healthz`
//! (the process answers) lives with the public pages and checks nothing else.
//!
//! Neither endpoint needs a login: load balancers and Prometheus call them. `/readyz`
//! names its checks and their verdicts only; `/metrics` is guarded (see `metrics.rs`).

pub mod http_metrics;
pub mod metrics;
pub mod readiness;

use crate::config::Settings;
use actix_web::web;

/// What the operations endpoints keep between calls, shared by all HTTP workers.
pub struct Ops {
    pub http: http_metrics::HttpMetrics,
    pub readiness: readiness::Cache,
    /// The bearer token `/metrics` asks for; None means "this machine only".
    metrics_token: Option<String>,
}

impl Ops {
    pub fn new(settings: &Settings) -> anyhow::Result<Ops> {
        Ok(Ops {
            http: http_metrics::HttpMetrics::default(),
            readiness: readiness::Cache::default(),
            metrics_token: if settings.metrics.enabled {
                settings.metrics.token()?
            } else {
                None
            },
        })
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/readyz", web::get().to(readiness::show))
        .route("/metrics", web::get().to(metrics::show));
}
