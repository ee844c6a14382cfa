//! The access package: a ZIP with, per system, the records as JSON and CSV plus a JSON
//! schema describing them (structured, commonly used, machine-readable: GDPR Art. 20),
//! and a readable HTML report with the facts GDPR Art. 15 and CCPA §1798.110 require.
//!
//! Fields CCPA §7024(d) forbids disclosing (government ids, financial account numbers,
//! passwords, security answers, biometric and health identifiers) are withheld, and the
//! report says so.

use crate::config::Settings;
use crate::connectors::Records;
use crate::templates::Templates;
use serde_json::{json, Map, Value};
use std::io::Write;
use zip::write::SimpleFileOptions;

pub struct SystemExport {
    pub name: String,
    pub records: Records,
}

pub struct PackageInput<'a> {
    pub reference: &'a str,
    pub kind_label: &'a str,
    pub regime_label: &'a str,
    /// Where the person lives (a stored jurisdiction code): whose authority they can
    /// complain to.
    pub jurisdiction: &'a str,
    pub received_on: String,
    pub generated_on: String,
    pub systems: Vec<SystemExport>,
    /// Files the owners of manual systems exported by hand, as they uploaded them.
    pub manual_files: Vec<ManualFile>,
}

/// One file exported by hand from a manual system (already checked on upload).
pub struct ManualFile {
    pub system: String,
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Column names never disclosed in an access package (CCPA §7024(d)).
const WITHHELD: &[&str] = &[
    "ssn",
    "social_security",
    "passport",
    "driver_license",
    "drivers_license",
    "national_id",
    "tax_id",
    "account_number",
    "card_number",
    "credit_card",
    "iban",
    "routing_number",
    "password",
    "security_question",
    "security_answer",
    "biometric",
    "health_insurance",
    "medical_id",
];

pub fn withheld(column: &str) -> bool {
    let c = column.to_ascii_lowercase();
    WITHHELD.iter().any(|w| c.contains(w))
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A JSON Schema for one table, with the types seen in its rows.
fn schema_for(table: &str, rows: &[Map<String, Value>]) -> Value {
    let mut props = Map::new();
    for row in rows {
        for (col, v) in row {
            let entry = props
                .entry(col.clone())
                .or_insert_with(|| json!({"type": []}));
            if let Some(types) = entry["type"].as_array_mut() {
                let t = json!(json_type(v));
                if !types.contains(&t) {
                    types.push(t);
                }
            }
        }
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": table,
        "type": "array",
        "items": {"type": "object", "properties": props},
    })
}

fn csv_for(rows: &[Map<String, Value>]) -> anyhow::Result<Vec<u8>> {
    let mut columns: Vec<String> = Vec::new();
    for row in rows {
        for col in row.keys() {
            if !columns.contains(col) {
                columns.push(col.clone());
            }
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&columns)?;
    for row in rows {
        w.write_record(columns.iter().map(|c| match row.get(c) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        }))?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("csv: {e}"))
}

/// Builds the ZIP; returns its bytes and the number of files in it.
pub fn build(
    settings: &Settings,
    templates: &Templates,
    input: &PackageInput<'_>,
) -> anyhow::Result<(Vec<u8>, usize)> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut files = 0;
    let mut withheld_columns: Vec<String> = Vec::new();
    let mut system_views = Vec::new();
    for system in &input.systems {
        let mut table_views = Vec::new();
        for (table, rows) in &system.records.tables {
            let rows: Vec<Map<String, Value>> = rows
                .iter()
                .map(|r| {
                    r.iter()
                        .filter(|(c, _)| {
                            let hide = withheld(c);
                            if hide && !withheld_columns.contains(c) {
                                withheld_columns.push((*c).clone());
                            }
                            !hide
                        })
                        .map(|(c, v)| (c.clone(), v.clone()))
                        .collect()
                })
                .collect();
            let base = format!("{}/{}", safe_name(&system.name), safe_name(table));
            zip.start_file(format!("{base}.json"), opts)?;
            zip.write_all(serde_json::to_string_pretty(&rows)?.as_bytes())?;
            zip.start_file(format!("{base}.csv"), opts)?;
            zip.write_all(&csv_for(&rows)?)?;
            zip.start_file(format!("{base}.schema.json"), opts)?;
            zip.write_all(serde_json::to_string_pretty(&schema_for(table, &rows))?.as_bytes())?;
            files += 3;
            table_views.push(json!({"table": table, "rows": rows.len(), "file": base}));
        }
        // Data an erasure would keep, and the legal reason: the person learns it now,
        // before they decide to ask for deletion.
        let kept: Vec<Value> = system
            .records
            .kept
            .iter()
            .map(|k| json!({"table": k.table, "column": k.column, "reason": k.reason}))
            .collect();
        system_views
            .push(json!({"name": system.name, "tables": table_views, "kept": kept, "files": []}));
    }
    files += add_manual_files(&mut zip, opts, &input.manual_files, &mut system_views)?;
    let report = templates.page(
        "exports/report",
        &json!({
            "org": {
                "name": settings.organisation.name,
                "contact_email": settings.organisation.contact_email,
                "privacy_policy_url": settings.organisation.privacy_policy_url,
                "dpo_contact": settings.organisation.dpo_contact,
                "supervisory_authority": settings.organisation.complaint_authority(input.jurisdiction, templates),
            },
            "reference": input.reference,
            "kind_label": input.kind_label,
            "regime_label": input.regime_label,
            "received_on": input.received_on,
            "generated_on": input.generated_on,
            "categories": settings.report.categories,
            "transfer_safeguards": settings.report.transfer_safeguards,
            "automated_decisions": settings.report.automated_decisions,
            "systems": system_views,
            "withheld": withheld_columns,
        }),
    )?;
    zip.start_file("report.html", opts)?;
    zip.write_all(report.as_bytes())?;
    files += 1;
    let bytes = zip.finish()?.into_inner();
    Ok((bytes, files))
}

/// Puts each manual system's files under `<system>/<file name>` (a name taken twice
/// gets a number) and lists them in the report under the system's name; returns how
/// many files were added.
fn add_manual_files(
    zip: &mut zip::ZipWriter<std::io::Cursor<Vec<u8>>>,
    opts: SimpleFileOptions,
    manual: &[ManualFile],
    system_views: &mut Vec<Value>,
) -> anyhow::Result<usize> {
    let mut taken: std::collections::BTreeSet<String> = Default::default();
    let mut by_system: Vec<(String, Vec<String>)> = Vec::new();
    for file in manual {
        let dir = safe_name(&file.system);
        let name = safe_file_name(&file.name);
        let mut path = format!("{dir}/{name}");
        let mut n = 2;
        while !taken.insert(path.clone()) {
            path = format!("{dir}/{n}-{name}");
            n += 1;
        }
        zip.start_file(path.as_str(), opts)?;
        zip.write_all(&file.bytes)?;
        match by_system.iter_mut().find(|(s, _)| *s == file.system) {
            Some((_, paths)) => paths.push(path),
            None => by_system.push((file.system.clone(), vec![path])),
        }
    }
    let added = manual.len();
    for (system, paths) in by_system {
        system_views.push(json!({"name": system, "tables": [], "kept": [], "files": paths}));
    }
    Ok(added)
}

/// A file name safe inside the ZIP: the characters `safe_name` keeps and dots, never
/// a leading dot (no hidden files, no `..`); "export" when nothing is left.
fn safe_file_name(s: &str) -> String {
    let kept: String = s
        .chars()
        .map(|c| match c {
            '.' => '.',
            c => safe_name(c.encode_utf8(&mut [0; 4]))
                .chars()
                .next()
                .unwrap_or('_'),
        })
        .collect();
    let kept = kept.trim_start_matches('.');
    if kept.trim_matches(['_', '.']).is_empty() {
        "export".to_string()
    } else {
        kept.to_string()
    }
}

/// File-name-safe form of a system or table name.
fn safe_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_columns_are_recognised() {
        assert!(withheld("customer_SSN"));
        assert!(withheld("card_number"));
        assert!(!withheld("idvisit"));
        assert!(!withheld("visit_last_action_time"));
    }

    #[test]
    fn csv_quotes_and_schema_types() {
        let mut row = Map::new();
        row.insert("name".into(), json!("a, \"b\""));
        row.insert("n".into(), json!(3));
        let csv = String::from_utf8(csv_for(&[row.clone()]).expect("csv")).expect("utf8");
        assert_eq!(csv, "n,name\n3,\"a, \"\"b\"\"\"\n");
        let schema = schema_for("t", &[row]);
        assert_eq!(
            schema["items"]["properties"]["n"]["type"],
            json!(["integer"])
        );
    }
}
