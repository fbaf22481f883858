//! The layers of the library, checked from the source: a module may import
//! only the modules in layers below its own, and no two files import each
//! other. docs/architecture.md explains the layers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The allowed order, lowest first. A module may import modules of lower
/// layers only; modules of one layer do not import each other.
const LAYERS: &[&[&str]] = &[
    &["object", "names"],
    &["kinds"],
    &["model"],
    &["cluster"],
    &["graph"],
    &["render"],
    &["state"],
    &["plan"],
    &["apply"],
    &["oci"],
    &["export"],
    &["ops"],
    &["cli"],
];

/// A source file as a module path (`["render", "workload"]`) and its text.
struct SourceFile {
    module: Vec<String>,
    text: String,
}

#[test]
fn no_module_imports_a_module_above_it_and_no_two_import_each_other() {
    let files = read_sources(Path::new(env!("CARGO_MANIFEST_DIR")).join("src").as_path());
    assert!(
        files.len() > 20,
        "read only {} files under src/",
        files.len()
    );
    let problems = violations(&files);
    assert!(
        problems.is_empty(),
        "the layering is broken (allowed order in tests/architecture.rs, see docs/architecture.md):\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn a_planted_upward_import_is_caught() {
    let files = [
        file("model", "use crate::object::ObjectKey;\n"),
        file("render", "use crate::model::Product;\n"),
        // model must not know render: render sits above it.
        file("model/validate", "use crate::render::EffectiveWorkload;\n"),
    ];
    let problems = violations(&files);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("model::validate imports render"),
        "{problems:?}"
    );
}

#[test]
fn a_planted_cycle_between_sibling_files_is_caught() {
    let files = [
        file("render", "mod namespace;\nmod workload;\n"),
        file(
            "render/namespace",
            "use super::workload::EffectiveWorkload;\n",
        ),
        file(
            "render/workload",
            "use crate::render::namespace::{service_account_name, x};\n",
        ),
    ];
    let problems = violations(&files);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("render::namespace and render::workload import each other"),
        "{problems:?}"
    );
}

#[test]
fn imports_in_comments_and_grouped_uses_are_read_right() {
    let files = [
        file("object", "// use crate::cli::Failure; (only a comment)\n"),
        file("names", ""),
        file("plan", "use crate::{graph::Graph, object::Object};\n"),
        file("graph", "use crate::{object::ObjectKey};\n"),
        file(
            "cli",
            "use crate::{\n    ops,\n    plan::{self, format},\n};\n",
        ),
        file("ops", "use crate::plan::Plan;\n"),
    ];
    assert_eq!(violations(&files), Vec::<String>::new());
    let upward = [
        file("graph", "use crate::{object::ObjectKey, plan::Plan};\n"),
        file("plan", ""),
    ];
    assert_eq!(
        violations(&upward),
        vec!["graph imports plan (a layer above it)".to_string()]
    );
}

fn file(module: &str, text: &str) -> SourceFile {
    SourceFile {
        module: module.split('/').map(str::to_string).collect(),
        text: text.to_string(),
    }
}

fn read_sources(src: &Path) -> Vec<SourceFile> {
    let mut files = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src/") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(src).expect("under src/");
                if let Some(module) = module_of(relative) {
                    let text = std::fs::read_to_string(&path).expect("read a source file");
                    files.push(SourceFile { module, text });
                }
            }
        }
    }
    files
}

/// `render/workload.rs` → `["render", "workload"]`, `render/mod.rs` →
/// `["render"]`; the crate roots (lib.rs, main.rs) are no module.
fn module_of(relative: &Path) -> Option<Vec<String>> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    match parts.as_slice() {
        [only] if only == "lib" || only == "main" => None,
        _ => Some(parts),
    }
}

/// Every broken rule, one line each.
fn violations(files: &[SourceFile]) -> Vec<String> {
    let known: BTreeSet<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    let mut problems = Vec::new();
    for f in files {
        let Some(own_layer) = layer_of(&f.module[0]) else {
            problems.push(format!("{} is in no layer: add it to LAYERS", f.module[0]));
            continue;
        };
        for path in imported_paths(&f.module, &strip_comments(&f.text)) {
            let target = resolve(&path, &known);
            if target.first() != f.module.first() {
                if let Some(problem) = layer_problem(&f.module, own_layer, &target) {
                    problems.push(problem);
                }
            }
            if target != f.module {
                edges.entry(f.module.clone()).or_default().insert(target);
            }
        }
    }
    problems.extend(mutual_imports(&edges));
    problems.sort();
    problems.dedup();
    problems
}

fn layer_of(top: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&top))
}

fn layer_problem(from: &[String], own_layer: usize, target: &[String]) -> Option<String> {
    let top = target.first()?;
    let name = from.join("::");
    match layer_of(top) {
        None => Some(format!("{name} imports {top}, which is in no layer")),
        Some(l) if l > own_layer => Some(format!("{name} imports {top} (a layer above it)")),
        Some(l) if l == own_layer => Some(format!("{name} imports {top} (the same layer)")),
        Some(_) => None,
    }
}

/// Pairs of files that import each other, apart from a module and the
/// files inside it (a parent and its children always know each other).
fn mutual_imports(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<String> {
    let mut problems = Vec::new();
    for (from, targets) in edges {
        for to in targets {
            let back = edges.get(to).is_some_and(|t| t.contains(from));
            let nested = to.starts_with(from) || from.starts_with(to);
            if back && !nested && from < to {
                problems.push(format!(
                    "{} and {} import each other",
                    from.join("::"),
                    to.join("::")
                ));
            }
        }
    }
    problems
}

/// The longest prefix of `path` that is a module of the crate (or the top
/// module alone, for modules the input does not hold).
fn resolve(path: &[String], known: &BTreeSet<Vec<String>>) -> Vec<String> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|prefix| known.contains(prefix))
        .unwrap_or_else(|| path[..1].to_vec())
}

fn strip_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Absolute module paths (`["render", "workload", "EffectiveWorkload"]`)
/// of every `crate::` and `super::` path in `text`, grouped uses
/// (`crate::{a::B, c}`) expanded.
fn imported_paths(module: &[String], text: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for (prefix, base) in [("crate::", Vec::new()), ("super::", parent_of(module))] {
        let mut rest = text;
        while let Some(at) = rest.find(prefix) {
            let preceded_by_ident = rest[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
            rest = &rest[at + prefix.len()..];
            if preceded_by_ident {
                continue;
            }
            for tail in expand(rest) {
                let mut path = base.clone();
                path.extend(tail);
                if !path.is_empty() {
                    paths.push(path);
                }
            }
        }
    }
    paths
}

/// The module `super::` names from inside `module`: a file's parent
/// directory module (for `a/b.rs` and `a/b/mod.rs` alike, `a`).
fn parent_of(module: &[String]) -> Vec<String> {
    module[..module.len().saturating_sub(1)].to_vec()
}

/// The paths that start at the beginning of `rest`: `a::b::C`, or a group
/// `{a::B, c::{D, E}}` with each member expanded.
fn expand(rest: &str) -> Vec<Vec<String>> {
    if let Some(group) = rest.strip_prefix('{') {
        let inner = &group[..closing_brace(group)];
        return split_top_level(inner)
            .into_iter()
            .flat_map(|member| expand(member.trim()))
            .collect();
    }
    let mut segments = Vec::new();
    let mut rest = rest;
    loop {
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let segment = &rest[..end];
        if segment.is_empty() || segment == "self" {
            break;
        }
        segments.push(segment.to_string());
        match rest[end..].strip_prefix("::") {
            Some(group) if group.starts_with('{') => {
                return expand(group)
                    .into_iter()
                    .map(|tail| segments.iter().cloned().chain(tail).collect())
                    .collect();
            }
            Some(next) => rest = next,
            None => break,
        }
    }
    vec![segments]
}

fn closing_brace(text: &str) -> usize {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return i,
            '}' => depth -= 1,
            _ => {}
        }
    }
    text.len()
}

fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}
