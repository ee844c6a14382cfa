//! The live schema as a backend reads it from its catalogue (information_schema,
//! pg_catalog, sqlite_master): the only source of table and column names that SQL is
//! ever built from.

use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Schema {
    pub tables: Vec<Table>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    /// Primary key columns in key order; empty when the table has none.
    pub primary_key: Vec<String>,
    pub foreign_keys: Vec<ForeignKey>,
    pub indexes: Vec<Index>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Column {
    pub name: String,
    /// The type as the database names it ("integer", "character varying(255)",
    /// "varchar(255)", "TEXT"…), for people to read and for `types` below.
    pub data_type: String,
    pub nullable: bool,
    /// The longest text the column takes, where the type limits it.
    pub max_chars: Option<u32>,
    /// MySQL/MariaDB: the column's collation ("utf8mb4_general_ci"); PostgreSQL and
    /// SQLite: the collation when one other than the default is declared.
    pub collation: Option<String>,
    /// True for text-like columns (char, varchar, text, citext, clob…).
    pub is_text: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ForeignKey {
    /// Referencing columns of this table, in constraint order.
    pub columns: Vec<String>,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    /// The constraint's own ON DELETE action as the database reports it ("CASCADE",
    /// "SET NULL", "RESTRICT", "NO ACTION"), for the draft and for checks.
    pub on_delete: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Index {
    pub name: String,
    /// Plain columns, in index order. Empty for an index on expressions only.
    pub columns: Vec<String>,
    /// Columns indexed through `lower(column)` (an expression index), in index order
    /// of appearance: what makes a case-folded email search use an index.
    pub lowered: Vec<String>,
    pub unique: bool,
}

impl Schema {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// An index whose first column is `column` (so a lookup by it uses the index).
    pub fn leads_index(&self, column: &str) -> bool {
        self.primary_key.first().is_some_and(|c| c == column)
            || self
                .indexes
                .iter()
                .any(|i| i.columns.first().is_some_and(|c| c == column))
    }

    /// An index on `lower(column)` leading.
    pub fn leads_lowered_index(&self, column: &str) -> bool {
        self.indexes
            .iter()
            .any(|i| i.columns.is_empty() && i.lowered.first().is_some_and(|c| c == column))
    }

    /// A single-column unique index or key on `column`.
    pub fn unique(&self, column: &str) -> bool {
        (self.primary_key.len() == 1 && self.primary_key[0] == column)
            || self
                .indexes
                .iter()
                .any(|i| i.unique && i.columns.len() == 1 && i.columns[0] == column)
    }
}
