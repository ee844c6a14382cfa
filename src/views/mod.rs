//! Read models: one typed page model a page, built from the database by a read
//! function, serialised for its template under the names the template uses. Handlers
//! parse the request, call one of these and render; what a page offers (which actions,
//! which runs) is decided in `domain`, not here.

pub mod actor_names;
pub mod audit_log;
pub mod event_words;
pub mod manual_tasks;
pub mod metrics_chart;
pub mod metrics_trend;
pub mod notice_preview;
pub mod queue;
pub mod queue_query;
pub mod request_page;
pub mod status_page;
