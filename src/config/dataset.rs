//! The dataset: how the organisation describes one of its databases to the portal — the
//! tables that hold people, the columns that identify them, the references the search
//! walks along, and what erasure does to each table and column.
//!
//! It is written by the operator (or drafted by `datasets scaffold` and reviewed), kept
//! in the connector's configuration or a file it names, and checked against the live
//! schema by `check-config` before anything runs. Names here are only ever compared
//! with the introspected schema; SQL is built from the schema's own names, quoted.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dataset {
    /// PostgreSQL schema the tables live in ("public" when absent). MySQL takes the
    /// database named in the URL; SQLite has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(default)]
    pub tables: Vec<TableSpec>,
    #[serde(default)]
    pub references: Vec<Reference>,
}

/// One table of the dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    pub name: String,
    /// The columns that name a row (the primary key when absent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key: Vec<String>,
    /// Columns holding one of the person's identities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identities: Vec<IdentityColumn>,
    /// What erasure does to the person's rows of this table.
    #[serde(default)]
    pub on_erase: TableErase,
    /// Why the rows are kept (`on_erase = "keep"`): shown in the person's notice and the
    /// access report, so it must be a reason a person can read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_reason: Option<String>,
    /// With `on_erase = "update"`: what happens to each column. Columns not named are
    /// left as they are (they hold nothing about the person: a price, a date, a flag).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub columns: BTreeMap<String, ColumnErase>,
}

/// A column holding an identity of the person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityColumn {
    pub column: String,
    /// Which of the request's verified identities it holds: "email" or the name of a
    /// configured identifier ("account_id", "customer_number"…).
    pub identity: String,
    /// A weak identity (a name, a postal code, a phone number typed by hand) may be
    /// many people: its rows are shown in the preview but never exported or erased on
    /// its match alone.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub weak: bool,
}

/// What erasure does to a table's rows of the person.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableErase {
    /// Rows stay untouched (the safe default of a scaffolded draft); needs `keep_reason`
    /// when the table holds the person's rows.
    #[default]
    Keep,
    /// Rows are deleted.
    Delete,
    /// Rows stay; the columns named in `columns` are changed.
    Update,
}

/// What erasure does to one column of a row that stays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ColumnErase {
    /// "null" or "hmac".
    Simple(SimpleErase),
    /// `{ fixed = "deleted" }`: a fixed value.
    Fixed { fixed: String },
    /// `{ keep = "reason" }`: kept, with the legal reason the person is told.
    Keep { keep: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SimpleErase {
    /// Set to NULL.
    Null,
    /// Replaced by the hex HMAC-SHA256 of the value under the connector's key, so joins
    /// across systems keyed the same way still work without the value.
    Hmac,
}

/// A reference between tables: rows of `from`'s table whose column holds a value of
/// `to`'s column in one of the person's rows are the person's too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// "table.column" of the referencing rows (orders.customer_id).
    pub from: String,
    /// "table.column" referenced (customers.id).
    pub to: String,
    /// Whether the search walks it. A self-reference such as `customers.referred_by`
    /// would reach other people (those the person referred), so a draft leaves it off.
    #[serde(default = "yes")]
    pub walk: bool,
    /// When a referenced row is deleted, what happens to rows of other people that
    /// point at it: "restrict" (the erasure stops, nothing changes) or "set_null" (their
    /// column is cleared; only the link to the erased row is lost).
    #[serde(default)]
    pub on_delete: OnDelete,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnDelete {
    #[default]
    Restrict,
    SetNull,
}

fn yes() -> bool {
    true
}

/// "table.column" split in two.
pub fn split_column(path: &str) -> Option<(&str, &str)> {
    let (t, c) = path.rsplit_once('.')?;
    (!t.is_empty() && !c.is_empty()).then_some((t, c))
}

impl Dataset {
    pub fn table(&self, name: &str) -> Option<&TableSpec> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// Reads a dataset file (TOML), with its path in the error.
    pub fn from_file(path: &std::path::Path) -> anyhow::Result<Dataset> {
        use anyhow::Context;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read dataset file {}", path.display()))?;
        Dataset::from_toml(&text).with_context(|| format!("dataset file {}", path.display()))
    }

    pub fn from_toml(text: &str) -> anyhow::Result<Dataset> {
        use figment::providers::{Format, Toml};
        let dataset: Dataset = figment::Figment::from(Toml::string(text)).extract()?;
        Ok(dataset)
    }

    /// The dataset as TOML, for `datasets scaffold`.
    pub fn to_toml(&self) -> anyhow::Result<String> {
        Ok(toml_writer::dataset(self, &[], &BTreeMap::new()))
    }

    /// The dataset as TOML for a person to review: `header` as comment lines at the top,
    /// and each table's `notes` (by table name) as comment lines above its block.
    pub fn to_toml_annotated(
        &self,
        header: &[String],
        notes: &BTreeMap<String, Vec<String>>,
    ) -> String {
        toml_writer::dataset(self, header, notes)
    }
}

mod toml_writer {
    //! Written by hand rather than through a TOML serialiser: the draft is for a person
    //! to review, so each table is one block with comments where a decision is needed.
    use super::*;

    pub(super) fn dataset(
        d: &Dataset,
        header: &[String],
        notes: &BTreeMap<String, Vec<String>>,
    ) -> String {
        let mut out = String::new();
        comments(&mut out, header);
        if !header.is_empty() {
            out.push('\n');
        }
        if let Some(s) = &d.schema {
            out.push_str(&format!("schema = {}\n\n", quote(s)));
        }
        for t in &d.tables {
            if let Some(lines) = notes.get(&t.name) {
                comments(&mut out, lines);
            }
            out.push_str("[[tables]]\n");
            out.push_str(&format!("name = {}\n", quote(&t.name)));
            if !t.key.is_empty() {
                out.push_str(&format!("key = [{}]\n", list(&t.key)));
            }
            if !t.identities.is_empty() {
                let items: Vec<String> = t
                    .identities
                    .iter()
                    .map(|i| {
                        format!(
                            "{{ column = {}, identity = {}{} }}",
                            quote(&i.column),
                            quote(&i.identity),
                            if i.weak { ", weak = true" } else { "" }
                        )
                    })
                    .collect();
                out.push_str(&format!("identities = [{}]\n", items.join(", ")));
            }
            let erase = match t.on_erase {
                TableErase::Keep => "keep",
                TableErase::Delete => "delete",
                TableErase::Update => "update",
            };
            out.push_str(&format!("on_erase = {}\n", quote(erase)));
            match &t.keep_reason {
                Some(r) => out.push_str(&format!("keep_reason = {}\n", quote(r))),
                // Where the decision is still open, the reader sees the choices in place.
                None if t.on_erase == TableErase::Keep => out.push_str(
                    "# decide: on_erase = \"delete\"; or \"update\" with [tables.columns]; \
                     or \"keep\" with keep_reason = \"…\" (told to the person)\n",
                ),
                None => {}
            }
            if !t.columns.is_empty() {
                out.push_str("[tables.columns]\n");
                for (c, policy) in &t.columns {
                    let v = match policy {
                        ColumnErase::Simple(SimpleErase::Null) => quote("null"),
                        ColumnErase::Simple(SimpleErase::Hmac) => quote("hmac"),
                        ColumnErase::Fixed { fixed } => format!("{{ fixed = {} }}", quote(fixed)),
                        ColumnErase::Keep { keep } => format!("{{ keep = {} }}", quote(keep)),
                    };
                    out.push_str(&format!("{} = {v}\n", quote(c)));
                }
            }
            out.push('\n');
        }
        for r in &d.references {
            out.push_str("[[references]]\n");
            out.push_str(&format!(
                "from = {}\nto = {}\n",
                quote(&r.from),
                quote(&r.to)
            ));
            if !r.walk {
                out.push_str("walk = false\n");
            }
            if r.on_delete == OnDelete::SetNull {
                out.push_str("on_delete = \"set_null\"\n");
            }
            out.push('\n');
        }
        out
    }

    /// Each line as a TOML comment; a line break inside a line starts a new comment.
    fn comments(out: &mut String, lines: &[String]) {
        for line in lines.iter().flat_map(|l| l.lines()) {
            if line.is_empty() {
                out.push_str("#\n");
            } else {
                out.push_str(&format!("# {line}\n"));
            }
        }
    }

    fn list(items: &[String]) -> String {
        items
            .iter()
            .map(|s| quote(s))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A TOML basic string.
    pub(super) fn quote(s: &str) -> String {
        let mut q = String::from("\"");
        for ch in s.chars() {
            match ch {
                '"' => q.push_str("\\\""),
                '\\' => q.push_str("\\\\"),
                '\n' => q.push_str("\\n"),
                '\t' => q.push_str("\\t"),
                c if c.is_control() => q.push_str(&format!("\\u{:04X}", c as u32)),
                c => q.push(c),
            }
        }
        q.push('"');
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOP: &str = r#"
[[tables]]
name = "customers"
identities = [{ column = "email", identity = "email" }, { column = "phone", identity = "phone", weak = true }]
on_erase = "delete"

[[tables]]
name = "invoices"
on_erase = "update"
[tables.columns]
billing_name = "null"
email = "hmac"
street = { fixed = "erased" }
total = { keep = "Invoices are kept ten years for tax law" }

[[references]]
from = "invoices.customer_id"
to = "customers.id"

[[references]]
from = "customers.referred_by"
to = "customers.id"
walk = false
on_delete = "set_null"
"#;

    #[test]
    fn a_dataset_reads_every_policy_and_writes_back_the_same() {
        let d = Dataset::from_toml(SHOP).expect("parses");
        let invoices = d.table("invoices").expect("invoices");
        assert_eq!(invoices.on_erase, TableErase::Update);
        assert_eq!(
            invoices.columns["billing_name"],
            ColumnErase::Simple(SimpleErase::Null)
        );
        assert_eq!(
            invoices.columns["street"],
            ColumnErase::Fixed {
                fixed: "erased".into()
            }
        );
        assert!(
            matches!(&invoices.columns["total"], ColumnErase::Keep { keep } if keep.contains("tax"))
        );
        assert!(d.references[0].walk && !d.references[1].walk);
        assert_eq!(d.references[1].on_delete, OnDelete::SetNull);
        assert!(d.tables[0].identities[1].weak);
        let again = Dataset::from_toml(&d.to_toml().expect("writes")).expect("reads back");
        assert_eq!(again, d);
    }

    #[test]
    fn unknown_policies_and_keys_are_refused() {
        assert!(Dataset::from_toml("[[tables]]\nname = \"t\"\non_erase = \"shred\"\n").is_err());
        assert!(Dataset::from_toml("[[tables]]\nname = \"t\"\ncolour = 1\n").is_err());
        assert!(Dataset::from_toml(
            "[[tables]]\nname = \"t\"\non_erase = \"update\"\n[tables.columns]\na = \"scramble\"\n"
        )
        .is_err());
    }

    #[test]
    fn quoting_survives_quotes_and_newlines() {
        let d = Dataset {
            schema: None,
            tables: vec![TableSpec {
                name: "t".into(),
                key: vec![],
                identities: vec![],
                on_erase: TableErase::Keep,
                keep_reason: Some("tax \"law\"\nline two \\ end".into()),
                columns: BTreeMap::new(),
            }],
            references: vec![],
        };
        let again = Dataset::from_toml(&d.to_toml().expect("writes")).expect("reads");
        assert_eq!(again, d);
    }
}
