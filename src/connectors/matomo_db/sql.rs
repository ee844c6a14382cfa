//! Matomo's log tables as this connector names them, and the small pieces of SQL built
//! over them: placeholder lists, bound id lists, identifiers that may go inside backticks.

use mysql_async::{Params, Value};

pub(super) const LOG_VISIT: &str = "log_visit";
pub(super) const LOG_LINK_VISIT_ACTION: &str = "log_link_visit_action";
pub(super) const LOG_CONVERSION: &str = "log_conversion";
pub(super) const LOG_CONVERSION_ITEM: &str = "log_conversion_item";
pub(super) const LOG_ACTION: &str = "log_action";

/// Matomo's own order: log_visit goes last so that an interrupted erase never leaves
/// actions or conversions behind whose visit (the only way to find them again) is gone.
pub(super) const ERASE_ORDER: [&str; 4] = [
    LOG_CONVERSION_ITEM,
    LOG_CONVERSION,
    LOG_LINK_VISIT_ACTION,
    LOG_VISIT,
];

/// Tables exported, with their primary keys so that an export reads the same every time.
pub(super) const EXPORT_TABLES: [(&str, &str); 4] = [
    (LOG_VISIT, "idvisit"),
    (LOG_LINK_VISIT_ACTION, "idvisit, idlink_va"),
    (LOG_CONVERSION, "idvisit, idgoal, buster"),
    (LOG_CONVERSION_ITEM, "idvisit, idorder, idaction_sku"),
];

/// Matomo stores these as raw bytes even where the column type would allow text.
pub(super) const BINARY_COLUMNS: [&str; 3] = ["idvisitor", "config_id", "location_ip"];

/// Ids per `IN (…)` list when reading: well below the 65535 placeholders a statement allows.
pub(super) const CHUNK: usize = 1000;

/// A name that is safe inside backticks.
pub(super) fn is_identifier(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub(super) fn is_action_column(name: &str) -> bool {
    name.starts_with("idaction_") || name.contains("_idaction_")
}

pub(super) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(",")
}

pub(super) fn ids_params(ids: &[u64]) -> Params {
    Params::Positional(ids.iter().map(|id| Value::from(*id)).collect())
}
