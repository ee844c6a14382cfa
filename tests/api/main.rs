//! One integration binary: every suite runs against the real server, on SQLite and,
//! when TEST_DATABASE_URL is set, on PostgreSQL too.

mod helpers;

mod active_pdf;
mod agent_notice;
mod agent_web;
mod api_input;
mod api_json;
mod audit_and_encryption;
mod backup;
mod browser;
mod cli;
mod connections;
mod connector_flow;
mod drp;
mod drp_agent;
mod email_domains;
mod files_at_rest;
mod http_edges;
mod intake_form;
mod key_rotation;
mod links;
mod manual_entry;
mod matomo_api;
mod matomo_db;
mod notices;
mod observability;
mod opt_out;
mod pages;
mod process;
mod proxy_headers;
mod records;
mod reliability;
mod security;
mod session_helpers;
mod smtp;
mod staff_access;
mod staff_sessions;
mod staff_throttle;
mod staff_work;
mod stored_values;
mod translation;
mod translation_agents;
mod upload_bounds;
mod webhook;
mod webhook_callback;
