//! `datasets scaffold`: a `sql` connector's live schema drafted into a dataset file for
//! a person to review (`connectors::sql::scaffold` decides what the draft says).

use crate::config::Settings;
use anyhow::Context;
use std::path::PathBuf;

/// `datasets scaffold`: the live schema of a `sql` connector's database drafted into a
/// dataset file for a person to review. Runs on this plain thread: the backends block.
pub fn scaffold(
    settings: &Settings,
    name: &str,
    out: Option<PathBuf>,
    force: bool,
) -> anyhow::Result<()> {
    use crate::connectors::sql::{dataset::Dataset, open_backend, scaffold};
    let cfg = settings
        .connectors
        .iter()
        .find(|c| c.name == name)
        .with_context(|| format!("no [[connectors]] entry is named {name:?}"))?;
    if cfg.kind != "sql" {
        anyhow::bail!(
            "connector {name:?} is of kind {:?}; datasets are for kind = \"sql\"",
            cfg.kind
        );
    }
    let out = out
        .or_else(|| cfg.dataset_file.clone())
        .unwrap_or_else(|| PathBuf::from("datasets").join(format!("{name}.toml")));
    // Checked before connecting, so a reviewed dataset is never lost to a second run.
    if out.exists() && !force {
        anyhow::bail!(
            "{} exists already: it may hold decisions someone made; pass --force to replace it",
            out.display()
        );
    }
    // A configured PostgreSQL schema is where the tables are read from.
    let schema_name = cfg.load_dataset().ok().and_then(|d| d.schema);
    let url = cfg.secret_url()?;
    let opened = Dataset {
        schema: schema_name.clone(),
        ..Dataset::default()
    };
    let backend =
        open_backend(&url, &opened).map_err(|e| anyhow::anyhow!("connector {name:?}: {e}"))?;
    let schema = backend.introspect().map_err(|e| {
        anyhow::anyhow!("connector {name:?}: cannot read the database's tables: {e}")
    })?;
    let identities = crate::connectors::registry::identity_kinds(settings);
    let mut draft = scaffold::propose(&schema, &identities);
    draft.dataset.schema = schema_name;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    }
    std::fs::write(&out, draft.to_toml(&schema))
        .with_context(|| format!("cannot write {}", out.display()))?;
    print_draft(&draft, &schema);
    println!("draft written to {}", out.display());
    println!("next: review it (every table says what to decide), then");
    if cfg.dataset_file.as_deref() != Some(out.as_path()) {
        println!(
            "  set dataset_file = \"{}\" in connector {name:?}, and",
            out.display()
        );
    }
    println!(
        "  run `dsar-portal check-config`: it refuses the connector until each decision is made"
    );
    Ok(())
}

/// What the draft holds, one line per finding: names only, never a row.
fn print_draft(
    draft: &crate::connectors::sql::scaffold::Draft,
    schema: &crate::connectors::sql::schema::Schema,
) {
    let d = &draft.dataset;
    println!(
        "read {} table(s); the draft lists {}",
        schema.tables.len(),
        d.tables.len()
    );
    for t in &d.tables {
        let ids: Vec<String> = t
            .identities
            .iter()
            .map(|i| format!("{} ({})", i.column, i.identity))
            .collect();
        if ids.is_empty() {
            println!("  table {}", t.name);
        } else {
            println!("  table {}: identities {}", t.name, ids.join(", "));
        }
    }
    for r in &d.references {
        let mut how = Vec::new();
        if !r.walk {
            how.push("not walked");
        }
        if r.on_delete == crate::connectors::sql::dataset::OnDelete::SetNull {
            how.push("set_null");
        }
        let how = if how.is_empty() {
            String::new()
        } else {
            format!(" ({})", how.join(", "))
        };
        println!("  reference {} → {}{how}", r.from, r.to);
    }
    if !draft.left_out.is_empty() {
        println!("  left out: {}", draft.left_out.join(", "));
    }
    for fk in &draft.multi_column {
        println!("  left out, several columns: {fk}");
    }
    if d.tables.is_empty() {
        println!("  no column looks like an identity the portal collects: list tables by hand");
    }
}
