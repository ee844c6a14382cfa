//! A first dataset drafted from the live schema, for a person to review
//! (`dsar-portal datasets scaffold`). Pure.
//!
//! The draft proposes, it never decides: identity columns by name and type only,
//! references from single-column foreign keys, the tables the search would reach from
//! those identities, and every table `on_erase = "keep"` with no reason — so
//! `check-config` refuses the connector until someone chooses, per table, what erasure
//! does and, where rows stay, the reason the person is told. A draft never erases and
//! never invents a legal reason.

use super::dataset::{Dataset, IdentityColumn, OnDelete, Reference, TableErase, TableSpec};
use super::schema::{Column, ForeignKey, Schema, Table};
use std::collections::{BTreeMap, BTreeSet};

/// The draft and what was left out of it, for the file's comments and the command's
/// summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Draft {
    pub dataset: Dataset,
    /// Tables no identity column or foreign key leads to (products, settings…).
    pub left_out: Vec<String>,
    /// Foreign keys of several columns, as "orders (shop_id, customer_id) → customers
    /// (shop_id, id)": a reference joins one column, so these are for a person to declare.
    pub multi_column: Vec<String>,
    /// Listed tables without a primary key: each needs `key = [...]` by hand.
    pub without_key: Vec<String>,
}

/// The dataset drafted from `schema`; `identities` are the kinds the portal collects
/// ("email" and the configured identifiers' names).
pub fn draft(schema: &Schema, identities: &[String]) -> Dataset {
    propose(schema, identities).dataset
}

/// The draft with what it left out.
pub fn propose(schema: &Schema, identities: &[String]) -> Draft {
    let searched: BTreeSet<&str> = schema
        .tables
        .iter()
        .filter(|t| {
            t.columns
                .iter()
                .any(|c| identity_of(c, identities).is_some())
        })
        .map(|t| t.name.as_str())
        .collect();
    let listed = reach(schema, searched);
    let mut draft = Draft::default();
    for table in &schema.tables {
        if !listed.contains(table.name.as_str()) {
            draft.left_out.push(table.name.clone());
            continue;
        }
        if table.primary_key.is_empty() {
            draft.without_key.push(table.name.clone());
        }
        draft.dataset.tables.push(TableSpec {
            name: table.name.clone(),
            // With a primary key the key is implied; without one, only a person knows.
            key: Vec::new(),
            identities: table
                .columns
                .iter()
                .filter_map(|c| {
                    identity_of(c, identities).map(|identity| IdentityColumn {
                        column: c.name.clone(),
                        identity,
                        weak: false,
                    })
                })
                .collect(),
            on_erase: TableErase::Keep,
            keep_reason: None,
            columns: BTreeMap::new(),
        });
    }
    for table in &schema.tables {
        for fk in &table.foreign_keys {
            let involved =
                listed.contains(table.name.as_str()) || listed.contains(fk.ref_table.as_str());
            match (fk.columns.as_slice(), fk.ref_columns.as_slice()) {
                ([c], [k]) if listed.contains(fk.ref_table.as_str()) => {
                    draft.dataset.references.push(reference(table, fk, c, k));
                }
                ([_], [_]) => {}
                _ if involved => draft.multi_column.push(format!(
                    "{} ({}) → {} ({})",
                    table.name,
                    fk.columns.join(", "),
                    fk.ref_table,
                    fk.ref_columns.join(", ")
                )),
                _ => {}
            }
        }
    }
    draft
}

fn reference(table: &Table, fk: &ForeignKey, column: &str, ref_column: &str) -> Reference {
    Reference {
        from: format!("{}.{column}", table.name),
        to: format!("{}.{ref_column}", fk.ref_table),
        // A self-reference (customers.referred_by) leads to other people.
        walk: fk.ref_table != table.name,
        on_delete: if fk.on_delete.trim().eq_ignore_ascii_case("SET NULL") {
            OnDelete::SetNull
        } else {
            OnDelete::Restrict
        },
    }
}

/// The tables the search reaches from `searched` by walking single-column foreign keys
/// from the referenced table to the referencing one, self-references left aside.
fn reach<'a>(schema: &'a Schema, searched: BTreeSet<&'a str>) -> BTreeSet<&'a str> {
    let mut reached = searched;
    loop {
        let before = reached.len();
        for table in &schema.tables {
            let walked_into = table.foreign_keys.iter().any(|fk| {
                fk.columns.len() == 1
                    && fk.ref_table != table.name
                    && reached.contains(fk.ref_table.as_str())
            });
            if walked_into {
                reached.insert(table.name.as_str());
            }
        }
        if reached.len() == before {
            return reached;
        }
    }
}

/// The identity a column seems to hold, by its name (and for emails its type).
fn identity_of(column: &Column, identities: &[String]) -> Option<String> {
    let name = column.name.to_ascii_lowercase();
    let email_like =
        name == "email" || name == "e_mail" || name == "email_address" || name.ends_with("_email");
    if email_like && column.is_text && identities.iter().any(|i| i == "email") {
        return Some("email".into());
    }
    identities
        .iter()
        .filter(|i| *i != "email")
        .find(|i| squash(i) == squash(&column.name))
        .cloned()
}

/// Lowercase letters and digits only: "customerNumber", "customer_number" and
/// "Customer-Number" are the same name.
fn squash(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl Draft {
    /// The draft as the file a person reviews: how to review it first, then each table
    /// with its columns listed above it.
    pub fn to_toml(&self, schema: &Schema) -> String {
        let mut header: Vec<String> = HEADER.lines().map(str::to_string).collect();
        if self.dataset.tables.is_empty() {
            header.push(String::new());
            header.push(
                "No column looks like an identity the portal collects: list the tables and \
                 their identity columns by hand."
                    .into(),
            );
        }
        if !self.left_out.is_empty() {
            header.push(String::new());
            header.push(format!(
                "Left out (no identity column, and no reference leads to them from one): {}",
                self.left_out.join(", ")
            ));
        }
        if !self.multi_column.is_empty() {
            header.push(String::new());
            header.push(
                "Left out, foreign keys of several columns (a reference joins one column; \
                 declare one by hand if the search should follow them):"
                    .into(),
            );
            header.extend(self.multi_column.iter().map(|fk| format!("  {fk}")));
        }
        let notes = self
            .dataset
            .tables
            .iter()
            .filter_map(|spec| schema.table(&spec.name))
            .map(|t| (t.name.clone(), table_notes(t)))
            .collect();
        self.dataset.to_toml_annotated(&header, &notes)
    }
}

/// The table's columns, so a person can choose column policies without another window.
fn table_notes(table: &Table) -> Vec<String> {
    let mut lines = vec![format!("{}:", table.name)];
    for c in &table.columns {
        let mut traits = Vec::new();
        if table.primary_key.contains(&c.name) {
            traits.push("primary key");
        }
        if !c.nullable {
            traits.push("NOT NULL");
        }
        if table.unique(&c.name) && !table.primary_key.contains(&c.name) {
            traits.push("unique");
        }
        let traits = if traits.is_empty() {
            String::new()
        } else {
            format!(" ({})", traits.join(", "))
        };
        lines.push(format!("  {} {}{traits}", c.name, c.data_type));
    }
    if table.primary_key.is_empty() {
        lines.push(
            "No primary key: name the columns that identify one row with key = [\"…\"].".into(),
        );
    }
    lines
}

const HEADER: &str = "\
A dataset drafted by `dsar-portal datasets scaffold` from the live database. Review it
before use: nothing here erases yet. Every table is on_erase = \"keep\" without a reason,
and `dsar-portal check-config` refuses the connector until a person decides, per table:
  on_erase = \"delete\"                      the person's rows are deleted;
  on_erase = \"update\" + [tables.columns]   the rows stay, and each column named there is
      set to \"null\", to \"hmac\" (a keyed pseudonym), to { fixed = \"…\" }, or kept with
      { keep = \"the reason the person is told\" };
  on_erase = \"keep\" + keep_reason = \"…\"    the rows stay; the reason is shown to the
      person (for example \"Invoices are kept ten years for tax law\").
Check each identity column (one typed by hand, a name or a phone number, may be many
people: mark it weak = true), and each walked reference: a reference from rows several
people share (an address used by two customers) reaches the other people's rows, so set
walk = false there. References from a table to itself are not walked: they lead to other
people (those the person referred).";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::sql::schema::Index;

    fn col(name: &str, data_type: &str) -> Column {
        Column {
            name: name.into(),
            data_type: data_type.into(),
            nullable: true,
            max_chars: None,
            collation: None,
            is_text: data_type == "text",
        }
    }

    fn table(name: &str, columns: &[(&str, &str)], fks: &[(&str, &str, &str)]) -> Table {
        Table {
            name: name.into(),
            columns: columns.iter().map(|(n, t)| col(n, t)).collect(),
            primary_key: vec!["id".into()],
            foreign_keys: fks
                .iter()
                .map(|(c, t, action)| ForeignKey {
                    columns: vec![c.to_string()],
                    ref_table: t.to_string(),
                    ref_columns: vec!["id".into()],
                    on_delete: action.to_string(),
                })
                .collect(),
            indexes: Vec::<Index>::new(),
        }
    }

    fn shop() -> Schema {
        let mut tickets = table(
            "support_tickets",
            &[("contact_email", "text"), ("body", "text")],
            &[],
        );
        tickets.primary_key.clear();
        let mut shipments = table("shipments", &[("id", "integer")], &[]);
        shipments.foreign_keys.push(ForeignKey {
            columns: vec!["order_id".into(), "shop_id".into()],
            ref_table: "orders".into(),
            ref_columns: vec!["id".into(), "shop_id".into()],
            on_delete: "NO ACTION".into(),
        });
        Schema {
            tables: vec![
                table(
                    "customers",
                    &[
                        ("id", "integer"),
                        ("email", "text"),
                        ("CustomerNumber", "integer"),
                        ("referred_by", "integer"),
                    ],
                    &[("referred_by", "customers", "NO ACTION")],
                ),
                table(
                    "orders",
                    &[("id", "integer"), ("customer_id", "integer")],
                    &[("customer_id", "customers", "RESTRICT")],
                ),
                table(
                    "order_items",
                    &[
                        ("id", "integer"),
                        ("order_id", "integer"),
                        ("product_id", "integer"),
                    ],
                    &[
                        ("order_id", "orders", "CASCADE"),
                        ("product_id", "products", "NO ACTION"),
                    ],
                ),
                table("products", &[("id", "integer"), ("name", "text")], &[]),
                tickets,
                table(
                    "newsletter",
                    &[
                        ("id", "integer"),
                        ("email_address", "text"),
                        ("customer_id", "integer"),
                    ],
                    &[("customer_id", "customers", "SET NULL")],
                ),
                shipments,
                // A column named like an email but holding a number is not an email.
                table("legacy", &[("id", "integer"), ("email", "integer")], &[]),
            ],
        }
    }

    fn ids() -> Vec<String> {
        vec!["email".into(), "customer_number".into()]
    }

    #[test]
    fn the_draft_lists_what_the_identities_reach_and_decides_nothing() {
        let draft = propose(&shop(), &ids());
        let d = &draft.dataset;
        let names: Vec<&str> = d.tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "customers",
                "orders",
                "order_items",
                "support_tickets",
                "newsletter"
            ]
        );
        assert_eq!(draft.left_out, ["products", "shipments", "legacy"]);
        assert_eq!(draft.without_key, ["support_tickets"]);
        assert_eq!(
            draft.multi_column,
            ["shipments (order_id, shop_id) → orders (id, shop_id)"]
        );
        for t in &d.tables {
            assert_eq!(t.on_erase, TableErase::Keep);
            assert!(t.keep_reason.is_none() && t.key.is_empty() && t.columns.is_empty());
        }
        let customers = d.table("customers").expect("customers");
        let found: Vec<(&str, &str)> = customers
            .identities
            .iter()
            .map(|i| (i.column.as_str(), i.identity.as_str()))
            .collect();
        assert_eq!(
            found,
            [("email", "email"), ("CustomerNumber", "customer_number")]
        );
        assert_eq!(
            d.table("support_tickets").expect("tickets").identities[0].column,
            "contact_email"
        );
        assert_eq!(draft.dataset, super::draft(&shop(), &ids()));
    }

    #[test]
    fn references_come_from_single_column_foreign_keys_into_listed_tables() {
        let d = draft(&shop(), &ids());
        let found: Vec<(&str, &str, bool, OnDelete)> = d
            .references
            .iter()
            .map(|r| (r.from.as_str(), r.to.as_str(), r.walk, r.on_delete))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "customers.referred_by",
                    "customers.id",
                    false,
                    OnDelete::Restrict
                ),
                (
                    "orders.customer_id",
                    "customers.id",
                    true,
                    OnDelete::Restrict
                ),
                (
                    "order_items.order_id",
                    "orders.id",
                    true,
                    OnDelete::Restrict
                ),
                (
                    "newsletter.customer_id",
                    "customers.id",
                    true,
                    OnDelete::SetNull
                ),
            ]
        );
    }

    #[test]
    fn without_email_among_the_identities_no_email_column_is_proposed() {
        let d = draft(&shop(), &["customer_number".to_string()]);
        let names: Vec<&str> = d.tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["customers", "orders", "order_items", "newsletter"]);
        assert!(d.tables[0].identities.iter().all(|i| i.column != "email"));
    }

    #[test]
    fn the_written_draft_explains_itself_and_reads_back() {
        let schema = shop();
        let draft = propose(&schema, &ids());
        let text = draft.to_toml(&schema);
        assert!(text.starts_with("# A dataset drafted by"), "{text}");
        assert!(text.contains("# Left out (no identity column"), "{text}");
        assert!(text.contains("#   shipments (order_id, shop_id) → orders (id, shop_id)"));
        assert!(text.contains("#   CustomerNumber integer\n"), "{text}");
        assert!(
            text.contains("# No primary key: name the columns"),
            "{text}"
        );
        assert!(text.contains("# decide: on_erase = \"delete\""), "{text}");
        let again = Dataset::from_toml(&text).expect("reads back");
        assert_eq!(again, draft.dataset);
    }

    #[test]
    fn a_schema_without_identities_gives_an_empty_draft_that_says_so() {
        let schema = Schema {
            tables: vec![table("products", &[("id", "integer")], &[])],
        };
        let draft = propose(&schema, &ids());
        assert!(draft.dataset.tables.is_empty());
        assert!(draft
            .to_toml(&schema)
            .contains("No column looks like an identity"));
    }
}
