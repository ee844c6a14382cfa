//! The layering of the crate's top-level modules, checked from the source text: every
//! `crate::X` a file names is an edge from its top-level module to `X`. Dependencies
//! must point one way (web → flows → domain/db, with state and config below web), so
//! the graph may hold no circle, and only the crate root may reach into `web`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Which file first showed each edge, for a readable failure.
type Edges = BTreeMap<String, BTreeMap<String, PathBuf>>;

/// The crate root files: they assemble the modules and may name any of them.
const ROOTS: [&str; 2] = ["lib", "main"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/web/staff/queue.rs` → `web`; `src/state.rs` → `state`.
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let first = file.strip_prefix(src).ok()?.components().next()?;
    let name = first.as_os_str().to_str()?;
    Some(name.trim_end_matches(".rs").to_string())
}

/// The source without comments, so prose naming a module is no edge.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_block = false;
    for line in text.lines() {
        let mut rest = line;
        loop {
            if in_block {
                match rest.find("*/") {
                    Some(end) => {
                        rest = &rest[end + 2..];
                        in_block = false;
                    }
                    None => break,
                }
            } else {
                let line_comment = rest.find("//");
                let block = rest.find("/*");
                match (line_comment, block) {
                    (Some(l), Some(b)) if b < l => {
                        out.push_str(&rest[..b]);
                        rest = &rest[b + 2..];
                        in_block = true;
                    }
                    (None, Some(b)) => {
                        out.push_str(&rest[..b]);
                        rest = &rest[b + 2..];
                        in_block = true;
                    }
                    (Some(l), _) => {
                        out.push_str(&rest[..l]);
                        break;
                    }
                    (None, None) => {
                        out.push_str(rest);
                        break;
                    }
                }
            }
        }
        out.push('\n');
    }
    out
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level modules a piece of code names: `crate::X…` and `crate::{X, Y::z}`.
fn named_modules(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let after = rest.trim_start();
        if let Some(group) = after.strip_prefix('{') {
            // One level of braces: the first segment of each item is a module.
            let mut depth = 1;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => item_start = true,
                    c if item_start && depth == 1 && !c.is_whitespace() => {
                        item_start = false;
                        names.insert(ident_at(&group[i..]).to_string());
                    }
                    _ => {}
                }
            }
        } else {
            names.insert(ident_at(after).to_string());
        }
    }
    names
}

fn edges(src: &Path) -> (BTreeSet<String>, Edges) {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|f| top_module(src, f))
        .filter(|m| !ROOTS.contains(&m.as_str()))
        .collect();
    let mut graph: Edges = BTreeMap::new();
    for file in &files {
        let Some(from) = top_module(src, file) else {
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for to in named_modules(&code_only(&text)) {
            if to != from && modules.contains(&to) {
                graph
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_insert_with(|| file.clone());
            }
        }
    }
    (modules, graph)
}

/// Tarjan's strongly connected components, each sorted; the order of the list is stable.
fn components(nodes: &BTreeSet<String>, graph: &Edges) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a Edges,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a str) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        w.on_stack.insert(v);
        let graph = w.graph;
        for to in graph.get(v).into_iter().flat_map(|m| m.keys()) {
            let to = to.as_str();
            if !w.index.contains_key(to) {
                visit(w, to);
                let low = w.low[v].min(w.low[to]);
                w.low.insert(v, low);
            } else if w.on_stack.contains(to) {
                let low = w.low[v].min(w.index[to]);
                w.low.insert(v, low);
            }
        }
        if w.low[v] == w.index[v] {
            let mut component = Vec::new();
            while let Some(top) = w.stack.pop() {
                w.on_stack.remove(top);
                component.push(top.to_string());
                if top == v {
                    break;
                }
            }
            component.sort();
            w.found.push(component);
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in nodes {
        if !walk.index.contains_key(node.as_str()) {
            visit(&mut walk, node);
        }
    }
    walk.found
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn top_level_modules_form_no_circle() {
    let src = src_dir();
    let (modules, graph) = edges(&src);
    assert!(
        modules.contains("web") && modules.contains("flows"),
        "src not read"
    );
    let mut report = String::new();
    for component in components(&modules, &graph).iter().filter(|c| c.len() > 1) {
        report.push_str(&format!("circle: {}\n", component.join(", ")));
        for from in component {
            for (to, file) in graph.get(from).into_iter().flatten() {
                if component.contains(to) {
                    let shown = file.strip_prefix(&src).unwrap_or(file);
                    report.push_str(&format!("  {from} -> {to} (e.g. {})\n", shown.display()));
                }
            }
        }
    }
    assert!(report.is_empty(), "module circles:\n{report}");
}

#[test]
fn only_the_crate_root_reaches_into_web() {
    let src = src_dir();
    let (_, graph) = edges(&src);
    let offenders: Vec<String> = graph
        .iter()
        .filter_map(|(from, to)| {
            to.get("web").map(|file| {
                let shown = file.strip_prefix(&src).unwrap_or(file);
                format!("{from} (e.g. {})", shown.display())
            })
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "modules below web import it: {}",
        offenders.join(", ")
    );
}

#[test]
fn the_edge_reader_sees_paths_groups_and_skips_comments() {
    let code = code_only(
        "use crate::db::DbConn;\nuse crate::{flows::x, state::AppState};\n\
         // crate::web is only mentioned\n/* crate::jobs */ let x = crate::clock::now();\n\
         let y = other_crate::mail::z;",
    );
    let names: Vec<String> = named_modules(&code).into_iter().collect();
    assert_eq!(names, ["clock", "db", "flows", "state"]);
}
