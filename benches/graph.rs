//! Building the dependency graph of a 10,000-object deployment, plus its
//! topological order and waves.
//!
//! Two shapes: many product namespaces of 100 objects each, and one namespace
//! holding all 10,000 (where selector matching would go quadratic without the
//! label index). Run with `cargo bench --bench graph`.

use criterion::{criterion_group, criterion_main, Criterion};
use floe::graph::Graph;
use floe::object::Object;
use serde_json::{json, Value};
use std::hint::black_box;
use std::time::Duration;

const OBJECTS: usize = 10_000;

fn object(body: Value) -> Object {
    Object::from_value(body).expect("synthetic objects have kind and name")
}

/// One namespace with quota, limits, a ServiceAccount, a NetworkPolicy and
/// `apps` applications of six objects each (ConfigMap, Secret, Deployment
/// using both, Service selecting it, HPA scaling it, PDB protecting it).
fn namespace(ns: &str, apps: usize, out: &mut Vec<Object>) {
    out.push(object(json!({
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}
    })));
    out.push(object(json!({
        "apiVersion": "v1", "kind": "ResourceQuota",
        "metadata": {"name": "quota", "namespace": ns},
        "spec": {"hard": {"pods": "1000"}}
    })));
    out.push(object(json!({
        "apiVersion": "v1", "kind": "LimitRange",
        "metadata": {"name": "limits", "namespace": ns},
        "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"}}]}
    })));
    out.push(object(json!({
        "apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": "runner", "namespace": ns}
    })));
    out.push(object(json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny", "namespace": ns},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    })));
    for i in 0..apps {
        let app = format!("app-{i}");
        let labels = json!({"app": app, "tier": "web", "part-of": ns});
        out.push(object(json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": format!("{app}-config"), "namespace": ns},
            "data": {"level": "info"}
        })));
        out.push(object(json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": format!("{app}-creds"), "namespace": ns}
        })));
        out.push(object(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": app, "namespace": ns},
            "spec": {
                "selector": {"matchLabels": {"app": app}},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "serviceAccountName": "runner",
                        "containers": [{
                            "name": "main",
                            "image": "registry.example/app:1.0.0",
                            "envFrom": [{"configMapRef": {"name": format!("{app}-config")}}],
                            "env": [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {
                                "name": format!("{app}-creds"), "key": "token"}}}]
                        }],
                        "volumes": [{"name": "creds", "secret": {"secretName": format!("{app}-creds")}}]
                    }
                }
            }
        })));
        out.push(object(json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": app, "namespace": ns},
            "spec": {"selector": {"app": app, "tier": "web"}, "ports": [{"port": 80}]}
        })));
        out.push(object(json!({
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": app, "namespace": ns},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": app},
                     "maxReplicas": 3}
        })));
        out.push(object(json!({
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": app, "namespace": ns},
            "spec": {"minAvailable": 1, "selector": {
                "matchLabels": {"app": app},
                "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]}}
        })));
    }
}

/// `namespaces` namespaces of `OBJECTS / namespaces` objects, padded with
/// ConfigMaps to exactly `OBJECTS`.
fn product(namespaces: usize) -> Vec<Object> {
    let per_namespace = OBJECTS / namespaces;
    let apps = (per_namespace - 5) / 6;
    let mut objects = Vec::with_capacity(OBJECTS);
    for n in 0..namespaces {
        let ns = format!("product-{n}");
        namespace(&ns, apps, &mut objects);
        let mut pad = 0;
        while objects.len() < (n + 1) * per_namespace {
            objects.push(object(json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": format!("extra-{pad}"), "namespace": ns}
            })));
            pad += 1;
        }
    }
    assert_eq!(objects.len(), OBJECTS);
    objects
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("graph");
    for (name, namespaces) in [
        ("build+order 10k objects, 100 namespaces", 100),
        ("build+order 10k objects, 1 namespace", 1),
    ] {
        let objects = product(namespaces);
        group.bench_function(name, |b| {
            b.iter(|| {
                let graph = Graph::build(black_box(&objects), &[], &[]).expect("acyclic");
                black_box(graph.order().len() + graph.waves().len())
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
