//! Properties of the graph on generated input: any body builds without
//! panicking, orders respect edges, and a reported cycle is a real one.

use floe::graph::{Graph, GraphError};
use floe::object::{Object, ObjectKey};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};

/// Arbitrary JSON, biased towards the field names the rules look at so that
/// the generated bodies reach deep into them.
fn json_value() -> impl Strategy<Value = Value> {
    let field = prop::sample::select(vec![
        "spec",
        "template",
        "metadata",
        "labels",
        "volumes",
        "configMap",
        "secret",
        "name",
        "secretName",
        "containers",
        "envFrom",
        "selector",
        "matchLabels",
        "matchExpressions",
        "operator",
        "values",
        "key",
        "roleRef",
        "subjects",
        "kind",
        "scaleTargetRef",
        "rules",
        "http",
        "paths",
        "backend",
        "service",
        "app",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        prop::sample::select(vec!["a", "b", "In", "Exists", "Deployment", ""])
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((field.clone(), inner), 0..6).prop_map(|entries| {
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect::<Map<String, Value>>(),
                )
            }),
        ]
    })
}

fn kind() -> impl Strategy<Value = (&'static str, &'static str)> {
    prop::sample::select(vec![
        ("apps/v1", "Deployment"),
        ("batch/v1", "CronJob"),
        ("v1", "Pod"),
        ("v1", "Service"),
        ("v1", "ConfigMap"),
        ("v1", "Secret"),
        ("v1", "ServiceAccount"),
        ("policy/v1", "PodDisruptionBudget"),
        ("networking.k8s.io/v1", "Ingress"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"),
        ("v1", "Namespace"),
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_bodies_build_and_order_consistently(
        objects in prop::collection::vec((kind(), prop::sample::select(vec!["a", "b"]), json_value(), json_value()), 0..12),
    ) {
        let mut seen = HashSet::new();
        let objects: Vec<Object> = objects
            .into_iter()
            .filter_map(|((api_version, kind), name, spec, extra)| {
                let namespace = if kind == "Namespace" { Value::Null } else { json!("a") };
                let object = Object::from_value(json!({
                    "apiVersion": api_version,
                    "kind": kind,
                    "metadata": {"name": name, "namespace": namespace},
                    "spec": spec,
                    "roleRef": extra.get("roleRef").cloned().unwrap_or(Value::Null),
                    "subjects": extra.get("subjects").cloned().unwrap_or(Value::Null),
                }))?;
                seen.insert(object.key()).then_some(object)
            })
            .collect();
        // Inferred edges alone never form a cycle.
        let graph = Graph::build(&objects, &[], &[]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let position: HashMap<ObjectKey, usize> = graph
            .order()
            .iter()
            .enumerate()
            .map(|(i, n)| (n.key.clone(), i))
            .collect();
        prop_assert_eq!(position.len(), objects.len());
        for edge in graph.edges() {
            prop_assert!(position[&edge.from.key] < position[&edge.to.key]);
        }
        let _ = floe::graph::to_json(&graph);
        let _ = floe::graph::to_dot(&graph);
        let _ = floe::graph::to_mermaid(&graph);
    }

    #[test]
    fn mutated_fixture_objects_build_and_order_consistently(
        mutations in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), json_value()), 0..24),
    ) {
        let mut objects = product_fixture();
        for (object, at, value) in mutations {
            let object = object.get_mut(&mut objects);
            let mut pointers = Vec::new();
            collect_pointers(&object.body, String::new(), &mut pointers);
            // Identity stays put so that keys stay unique.
            pointers.retain(|p| !p.starts_with("/metadata") && !p.starts_with("/kind") && !p.starts_with("/apiVersion"));
            if pointers.is_empty() {
                continue;
            }
            if let Some(slot) = object.body.pointer_mut(at.get(&pointers).as_str()) {
                *slot = value;
            }
        }
        let graph = Graph::build(&objects, &[], &[]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let position: HashMap<ObjectKey, usize> = graph
            .order()
            .iter()
            .enumerate()
            .map(|(i, n)| (n.key.clone(), i))
            .collect();
        for edge in graph.edges() {
            prop_assert!(position[&edge.from.key] < position[&edge.to.key]);
        }
    }

    #[test]
    fn a_reported_cycle_is_made_of_real_edges(
        pairs in prop::collection::vec((0usize..8, 0usize..8), 0..16),
    ) {
        let objects: Vec<Object> = (0..8)
            .filter_map(|i| {
                Object::from_value(json!({
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": format!("c{i}"), "namespace": "demo"}
                }))
            })
            .collect();
        let key = |i: usize| ObjectKey::new("", "ConfigMap", "demo", &format!("c{i}"));
        let extra: Vec<(ObjectKey, ObjectKey)> =
            pairs.iter().map(|&(a, b)| (key(a), key(b))).collect();
        // (dependency, dependent): the direction things run in.
        let runs_before: HashSet<(ObjectKey, ObjectKey)> =
            extra.iter().map(|(a, b)| (b.clone(), a.clone())).collect();
        match Graph::build(&objects, &[], &extra) {
            Ok(graph) => {
                let position: HashMap<ObjectKey, usize> = graph
                    .order()
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.key.clone(), i))
                    .collect();
                for (before, after) in &runs_before {
                    prop_assert!(position[before] < position[after]);
                }
            }
            Err(GraphError::Cycle { cycle }) => {
                prop_assert!(cycle.len() >= 2);
                prop_assert_eq!(cycle.first(), cycle.last());
                for step in cycle.windows(2) {
                    prop_assert!(runs_before.contains(&(step[0].clone(), step[1].clone())));
                }
            }
            Err(other) => prop_assert!(false, "unexpected error {other}"),
        }
    }
}

fn product_fixture() -> Vec<Object> {
    use serde::Deserialize;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/graph/product/objects.yaml"
    );
    let text = std::fs::read_to_string(path).expect("fixture");
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| Object::from_value(Value::deserialize(doc).expect("yaml")).expect("object"))
        .collect()
}

/// JSON pointers of every value inside `value`.
fn collect_pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let path = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(path.clone());
                collect_pointers(v, path, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let path = format!("{at}/{i}");
                out.push(path.clone());
                collect_pointers(v, path, out);
            }
        }
        _ => {}
    }
}
