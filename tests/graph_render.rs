//! Snapshots of the dot, Mermaid and JSON renderings of a realistic product
//! (with two objects to prune), kept beside the fixture.

use floe::graph::{to_dot, to_json, to_mermaid, Graph};
use floe::object::Object;
use serde::Deserialize;
use std::path::PathBuf;

fn fixture(file: &str) -> Vec<Object> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "fixtures",
        "graph",
        "product",
        file,
    ]
    .iter()
    .collect();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| {
            let value = serde_json::Value::deserialize(doc).expect("yaml");
            Object::from_value(value).expect("object with kind and name")
        })
        .collect()
}

fn product() -> Graph {
    Graph::build(&fixture("objects.yaml"), &fixture("prune.yaml"), &[]).expect("graph builds")
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({
            snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/graph/product/snapshots"),
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

#[test]
fn dot() {
    snapshot!("dot", to_dot(&product()));
}

#[test]
fn mermaid() {
    snapshot!("mermaid", to_mermaid(&product()));
}

#[test]
fn json() {
    let json = to_json(&product());
    assert_eq!(json["format_version"], 1);
    let text = serde_json::to_string_pretty(&json).expect("json");
    snapshot!("json", text);
}

#[test]
fn every_json_edge_names_known_nodes() {
    let json = to_json(&product());
    let ids: Vec<&str> = json["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["id"].as_str().expect("id"))
        .collect();
    for edge in json["edges"].as_array().expect("edges") {
        assert!(ids.contains(&edge["from"].as_str().expect("from")));
        assert!(ids.contains(&edge["to"].as_str().expect("to")));
        assert!(!edge["reason"].as_str().expect("reason").is_empty());
    }
}

#[test]
fn mermaid_ids_are_plain_and_distinct() {
    let docs = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: a.b, namespace: x}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: a-b, namespace: x}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: "we\"ird<name>", namespace: x}
"#;
    let objects: Vec<Object> = serde_norway::Deserializer::from_str(docs)
        .map(|d| {
            Object::from_value(serde_json::Value::deserialize(d).expect("yaml")).expect("object")
        })
        .collect();
    let graph = Graph::build(&objects, &[], &[]).expect("graph builds");
    let mermaid = to_mermaid(&graph);
    assert_eq!(
        mermaid,
        "flowchart LR\n  \
         x_configmap_a_b[\"configmap/a-b\"]\n  \
         x_configmap_a_b_2[\"configmap/a.b\"]\n  \
         x_configmap_we_ird_name_[\"configmap/we#quot;ird#lt;name#gt;\"]\n"
    );
    let dot = to_dot(&graph);
    assert!(dot.contains(r#""x/configmap/we\"ird<name>" [label="configmap/we\"ird<name>"];"#));
}
