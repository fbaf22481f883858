//! Formatting a [`Graph`] for `floe graph --format dot|mermaid|json` (pure).
//!
//! All three list nodes in [`Graph::order`] and edges in [`Graph::edges`]
//! order, so the same objects always give the same text.

use super::{Graph, Node, NodeRole};
use crate::object::ObjectKey;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

/// Version of the [`to_json`] document; bumped on incompatible changes.
pub const JSON_FORMAT_VERSION: u64 = 1;

/// A stable id, unique within a graph: `[namespace/]kind[.group]/name`, with
/// the kind in lower case as kubectl prints it (`demo/deployment.apps/api`,
/// `namespace/demo`).
pub fn node_id(key: &ObjectKey) -> String {
    let mut id = String::new();
    if !key.namespace.is_empty() {
        id.push_str(&key.namespace);
        id.push('/');
    }
    id.push_str(&key.kind.to_ascii_lowercase());
    if !key.group.is_empty() {
        id.push('.');
        id.push_str(&key.group);
    }
    id.push('/');
    id.push_str(&key.name);
    id
}

/// The graph as JSON:
///
/// ```json
/// {
///   "format_version": 1,
///   "nodes": [{"id": "demo/deployment.apps/api", "kind": "Deployment",
///              "group": "apps", "name": "api", "namespace": "demo",
///              "action": "apply", "wave": 3}],
///   "edges": [{"from": "demo/configmap/settings", "to": "demo/deployment.apps/api",
///              "reason": "mounts configmap"}]
/// }
/// ```
///
/// `namespace` is `null` for cluster-scoped objects; `action` is `apply` or
/// `delete`; `wave` is the node's index in [`Graph::waves`]. An edge means
/// `from` is done before `to`; `reason` says why, from the dependent's side,
/// several reasons joined by `", "`. Nodes are in topological order.
pub fn to_json(graph: &Graph) -> Value {
    let wave_of = graph.wave_of();
    let nodes: Vec<Value> = graph
        .order
        .iter()
        .map(|&n| {
            let node = &graph.graph[n];
            let key = &node.key;
            json!({
                "id": node_id(key),
                "kind": key.kind,
                "group": key.group,
                "name": key.name,
                "namespace": if key.namespace.is_empty() { Value::Null } else { Value::from(key.namespace.as_str()) },
                "action": node.action.as_str(),
                "wave": wave_of[n.index()],
            })
        })
        .collect();
    let edges: Vec<Value> = graph
        .edges()
        .iter()
        .map(|e| {
            json!({
                "from": node_id(&e.from.key),
                "to": node_id(&e.to.key),
                "reason": e.reason_text(),
            })
        })
        .collect();
    json!({
        "format_version": JSON_FORMAT_VERSION,
        "nodes": nodes,
        "edges": edges,
    })
}

/// The graph in Graphviz DOT; deletions are dashed and red.
pub fn to_dot(graph: &Graph) -> String {
    let with_namespace = spans_namespaces(graph);
    let mut out = String::from("digraph floe {\n  rankdir=LR;\n  node [shape=box];\n");
    for node in graph.order() {
        let mut attrs = format!("label={}", dot_quote(&label(node, with_namespace)));
        if node.action == NodeRole::Delete {
            attrs.push_str(", style=dashed, color=red");
        }
        let _ = writeln!(out, "  {} [{}];", dot_quote(&node_id(&node.key)), attrs);
    }
    for edge in graph.edges() {
        let _ = writeln!(
            out,
            "  {} -> {} [label={}];",
            dot_quote(&node_id(&edge.from.key)),
            dot_quote(&node_id(&edge.to.key)),
            dot_quote(&edge.reason_text()),
        );
    }
    out.push_str("}\n");
    out
}

/// The graph as a Mermaid flowchart; deletions get the `delete` class.
pub fn to_mermaid(graph: &Graph) -> String {
    let with_namespace = spans_namespaces(graph);
    let ids = mermaid_ids(graph);
    let mut out = String::from("flowchart LR\n");
    let mut deleted = Vec::new();
    for node in graph.order() {
        let id = ids.get(&node.key).map_or("", String::as_str);
        let _ = writeln!(
            out,
            "  {}[\"{}\"]",
            id,
            mermaid_text(&label(node, with_namespace))
        );
        if node.action == NodeRole::Delete {
            deleted.push(id);
        }
    }
    for edge in graph.edges() {
        let _ = writeln!(
            out,
            "  {} -->|\"{}\"| {}",
            ids.get(&edge.from.key).map_or("", String::as_str),
            mermaid_text(&edge.reason_text()),
            ids.get(&edge.to.key).map_or("", String::as_str),
        );
    }
    if !deleted.is_empty() {
        out.push_str("  classDef delete stroke:#c00,stroke-dasharray:5 5\n");
        let _ = writeln!(out, "  class {} delete", deleted.join(","));
    }
    out
}

/// `deployment/api`, with ` (delete)` for deletions and the namespace when
/// the graph has more than one (a product normally lives in one).
fn label(node: &Node, with_namespace: bool) -> String {
    let mut label = node.key.to_string();
    if with_namespace && !node.key.namespace.is_empty() {
        let _ = write!(label, " ({})", node.key.namespace);
    }
    if node.action == NodeRole::Delete {
        label.push_str(" (delete)");
    }
    label
}

fn spans_namespaces(graph: &Graph) -> bool {
    let namespaces: HashSet<&str> = graph
        .graph
        .node_weights()
        .map(|n| n.key.namespace.as_str())
        .filter(|ns| !ns.is_empty())
        .collect();
    namespaces.len() > 1
}

fn dot_quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            _ => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// Mermaid ids may only be plain words: everything else becomes `_`, and a
/// clash (`a-b` and `a.b`) gets a numeric suffix, assigned in graph order.
fn mermaid_ids(graph: &Graph) -> HashMap<ObjectKey, String> {
    let mut taken = HashSet::new();
    let mut ids = HashMap::new();
    for node in graph.order() {
        let base: String = node_id(&node.key)
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let mut id = base.clone();
        let mut n = 2;
        while !taken.insert(id.clone()) {
            id = format!("{base}_{n}");
            n += 1;
        }
        ids.insert(node.key.clone(), id);
    }
    ids
}

/// Text inside a quoted Mermaid label: quotes and markup characters become
/// entity codes so that a name cannot end the label early.
fn mermaid_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => escaped.push_str("#quot;"),
            '<' => escaped.push_str("#lt;"),
            '>' => escaped.push_str("#gt;"),
            '#' => escaped.push_str("#35;"),
            _ => escaped.push(c),
        }
    }
    escaped
}
