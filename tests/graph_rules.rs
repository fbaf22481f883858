//! The graph's edge rules, ordering and errors, on real YAML objects from
//! `fixtures/graph/<case>/`.

use floe::graph::{node_id, Graph, GraphError, NodeRole, Reason, Reference};
use floe::object::{Object, ObjectKey};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::PathBuf;

fn fixture(case: &str, file: &str) -> Vec<Object> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "fixtures", "graph", case, file]
        .iter()
        .collect();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| {
            let value = serde_json::Value::deserialize(doc)
                .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
            Object::from_value(value)
                .unwrap_or_else(|| panic!("{}: object without kind or name", path.display()))
        })
        .collect()
}

fn build(case: &str) -> Graph {
    Graph::build(&fixture(case, "objects.yaml"), &[], &[]).expect("graph builds")
}

/// Every edge as `from -> to (reason)`, in the graph's edge order.
fn edges(graph: &Graph) -> Vec<String> {
    graph
        .edges()
        .iter()
        .map(|e| {
            format!(
                "{} -> {} ({})",
                node_id(&e.from.key),
                node_id(&e.to.key),
                e.reason_text()
            )
        })
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn ids<'a>(nodes: impl IntoIterator<Item = &'a floe::graph::Node>) -> Vec<String> {
    nodes.into_iter().map(|n| node_id(&n.key)).collect()
}

fn order(graph: &Graph) -> Vec<String> {
    ids(graph.order())
}

fn key(group: &str, kind: &str, namespace: &str, name: &str) -> ObjectKey {
    ObjectKey::new(group, kind, namespace, name)
}

/// Every edge goes from an earlier wave to a later one, and the topological
/// order respects every edge.
fn assert_consistent(graph: &Graph) {
    let mut wave_of = HashMap::new();
    for (i, wave) in graph.waves().iter().enumerate() {
        for node in wave {
            assert!(wave_of.insert(node.key.clone(), i).is_none(), "node twice");
        }
    }
    assert_eq!(wave_of.len(), graph.len());
    let position: HashMap<_, _> = graph
        .order()
        .iter()
        .enumerate()
        .map(|(i, n)| (n.key.clone(), i))
        .collect();
    assert_eq!(position.len(), graph.len());
    for edge in graph.edges() {
        assert!(wave_of[&edge.from.key] < wave_of[&edge.to.key]);
        assert!(position[&edge.from.key] < position[&edge.to.key]);
    }
}

#[test]
fn namespace_comes_before_everything_in_it() {
    let graph = build("namespace");
    assert_eq!(
        edges(&graph),
        [
            "namespace/demo -> demo/configmap/settings (in namespace)",
            "namespace/demo -> demo/networkpolicy.networking.k8s.io/default-deny (in namespace)",
        ]
    );
    assert_eq!(
        order(&graph),
        [
            "namespace/demo",
            "demo/configmap/settings",
            "other/configmap/elsewhere",
            "demo/networkpolicy.networking.k8s.io/default-deny",
        ]
    );
    // The namespace `other` may exist already: not an edge, but reported.
    assert_eq!(
        graph.missing_references(),
        [Reference {
            dependent: key("", "ConfigMap", "other", "elsewhere"),
            dependency: key("", "Namespace", "", "other"),
            reason: Reason::InNamespace,
        }]
    );
    assert_consistent(&graph);
}

#[test]
fn quota_and_limit_range_come_before_pod_creators_of_their_namespace() {
    let graph = build("quota");
    let all = edges(&graph);
    for workload in ["deployment.apps/api", "cronjob.batch/nightly"] {
        assert!(all.contains(&format!(
            "demo/resourcequota/compute -> demo/{workload} (quota applies)"
        )));
        assert!(all.contains(&format!(
            "demo/limitrange/defaults -> demo/{workload} (limit range applies)"
        )));
    }
    // Not before objects that create no pods, nor across namespaces.
    assert!(!all
        .iter()
        .any(|e| e.contains("-> demo/configmap/settings (quota")));
    assert!(!all.iter().any(|e| e.starts_with("other/resourcequota")));
    assert_consistent(&graph);
}

#[test]
fn pod_template_references_come_before_the_workload() {
    let graph = build("pod_references");
    let into_api: Vec<String> = edges(&graph)
        .into_iter()
        .filter(|e| e.contains(" -> demo/deployment.apps/api "))
        .collect();
    assert_eq!(
        sorted(into_api),
        sorted(
            [
                "demo/serviceaccount/api -> demo/deployment.apps/api (runs as serviceaccount)",
                "demo/secret/registry -> demo/deployment.apps/api (pulls images with secret)",
                "demo/configmap/mounted-config -> demo/deployment.apps/api (mounts configmap)",
                "demo/secret/mounted-secret -> demo/deployment.apps/api (mounts secret)",
                "demo/persistentvolumeclaim/data -> demo/deployment.apps/api (mounts pvc)",
                "demo/configmap/projected-config -> demo/deployment.apps/api (mounts configmap)",
                "demo/secret/projected-secret -> demo/deployment.apps/api (mounts secret)",
                "demo/configmap/env-config -> demo/deployment.apps/api (env from configmap)",
                "demo/secret/env-secret -> demo/deployment.apps/api (env from secret)",
                "demo/configmap/envfrom-config -> demo/deployment.apps/api (env from configmap)",
                "demo/secret/debug-secret -> demo/deployment.apps/api (env from secret)",
            ]
            .map(String::from)
            .to_vec()
        )
    );
    // The optional ConfigMap is left out; the Secret of the same name in
    // another namespace does not count.
    let missing: Vec<_> = graph
        .missing_references()
        .iter()
        .filter(|r| r.dependency.kind != "Namespace")
        .cloned()
        .collect();
    assert_eq!(
        missing,
        [Reference {
            dependent: key("apps", "Deployment", "demo", "api"),
            dependency: key("", "Secret", "demo", "missing-secret"),
            reason: Reason::EnvFromSecret,
        }]
    );
    assert_consistent(&graph);
}

#[test]
fn statefulset_claim_templates_are_owned_not_referenced() {
    let graph = build("statefulset");
    assert_eq!(
        edges(&graph),
        ["demo/statefulset.apps/daemon -> demo/service/daemon (selects)"]
    );
}

#[test]
fn serviceaccount_pull_secrets_and_token_secrets() {
    let graph = build("serviceaccount");
    assert_eq!(
        sorted(edges(&graph)),
        [
            "demo/secret/registry -> demo/serviceaccount/runner (pulls images with secret)",
            "demo/serviceaccount/runner -> demo/secret/runner-token (token for serviceaccount)",
        ]
    );
    assert!(graph
        .missing_references()
        .iter()
        .any(|r| r.dependency == key("", "Secret", "demo", "mirror")));
    assert_consistent(&graph);
}

#[test]
fn services_come_before_the_ingress_that_routes_to_them() {
    let graph = build("ingress");
    assert_eq!(
        sorted(edges(&graph)),
        [
            "demo/secret/web-tls -> demo/ingress.networking.k8s.io/web (tls secret)",
            "demo/service/api -> demo/ingress.networking.k8s.io/web (routes to)",
            "demo/service/fallback -> demo/ingress.networking.k8s.io/web (routes to)",
        ]
    );
    assert!(graph.missing_references().iter().any(|r| {
        r.dependency == key("", "Service", "demo", "ui") && r.reason == Reason::RoutesTo
    }));
}

#[test]
fn workload_comes_before_the_hpa_that_scales_it() {
    let graph = build("hpa");
    let all: Vec<String> = edges(&graph)
        .into_iter()
        .filter(|e| !e.contains("(in namespace)"))
        .collect();
    assert_eq!(
        all,
        ["demo/deployment.apps/api -> demo/horizontalpodautoscaler.autoscaling/api (scales)"]
    );
    assert!(graph.missing_references().iter().any(|r| {
        r.dependency == key("apps", "StatefulSet", "demo", "api") && r.reason == Reason::Scales
    }));
}

#[test]
fn pdb_selectors_match_pod_template_labels() {
    let graph = build("pdb");
    let protected = |pdb: &str| -> Vec<String> {
        let mut names: Vec<String> = graph
            .dependencies_of(&key("policy", "PodDisruptionBudget", "demo", pdb))
            .iter()
            .map(|n| n.key.name.clone())
            .collect();
        names.sort();
        names
    };
    assert_eq!(protected("match-labels"), ["api"]);
    assert_eq!(protected("in"), ["ui", "worker"]);
    assert_eq!(protected("not-in"), ["ui"]);
    assert_eq!(protected("exists"), ["ui"]);
    assert_eq!(protected("does-not-exist"), ["api", "worker"]);
    assert_eq!(protected("everything"), ["api", "ui", "worker"]);
    assert!(protected("nothing").is_empty());
    assert!(protected("bad-operator").is_empty());
    // Never across namespaces.
    assert!(graph
        .dependents_of(&key("apps", "Deployment", "other", "api"))
        .is_empty());
    let edge = graph
        .edges()
        .into_iter()
        .find(|e| e.to.key.name == "match-labels")
        .expect("edge");
    assert_eq!(edge.reasons, [Reason::Protects]);
    assert_consistent(&graph);
}

#[test]
fn services_come_after_the_workloads_they_select() {
    let graph = build("service");
    assert_eq!(
        sorted(edges(&graph)),
        [
            "demo/deployment.apps/api -> demo/service/api (selects)",
            "demo/deployment.apps/api -> demo/service/api-server (selects)",
            "demo/job.batch/migrate -> demo/service/api (selects)",
        ]
    );
}

#[test]
fn roles_and_serviceaccounts_come_before_their_bindings() {
    let graph = build("rbac");
    let rbac = "rbac.authorization.k8s.io";
    assert_eq!(
        sorted(edges(&graph)),
        sorted(
            [
                format!("demo/role.{rbac}/read-config -> demo/rolebinding.{rbac}/runner-read-config (binds role)"),
                format!("demo/serviceaccount/runner -> demo/rolebinding.{rbac}/runner-read-config (binds serviceaccount)"),
                format!("clusterrole.{rbac}/floe-reader -> clusterrolebinding.{rbac}/runner-floe-reader (binds role)"),
                format!("demo/serviceaccount/runner -> clusterrolebinding.{rbac}/runner-floe-reader (binds serviceaccount)"),
                format!("demo/serviceaccount/runner -> demo/rolebinding.{rbac}/runner-view (binds serviceaccount)"),
            ]
            .to_vec()
        )
    );
    // The built-in ClusterRole `view` is not ours: reported, not an edge.
    assert!(graph.missing_references().iter().any(|r| {
        r.dependency == key(rbac, "ClusterRole", "", "view") && r.reason == Reason::BindsRole
    }));
    assert_consistent(&graph);
}

#[test]
fn explicit_dependencies_are_edges() {
    let objects = fixture("service", "objects.yaml");
    let extra = [(
        key("apps", "Deployment", "demo", "ui"),
        key("batch", "Job", "demo", "migrate"),
    )];
    let graph = Graph::build(&objects, &[], &extra).expect("graph builds");
    assert!(edges(&graph).contains(
        &"demo/job.batch/migrate -> demo/deployment.apps/ui (explicit dependency)".into()
    ));
    assert_consistent(&graph);
}

#[test]
fn a_cycle_is_an_error_naming_it() {
    let objects = fixture("cycle", "objects.yaml");
    let extra = [(
        key("", "ConfigMap", "demo", "a"),
        key("apps", "Deployment", "demo", "b"),
    )];
    let err = Graph::build(&objects, &[], &extra).expect_err("cycle");
    assert_eq!(
        err.to_string(),
        "dependency cycle: configmap/a -> deployment/b -> configmap/a"
    );
    assert!(matches!(err, GraphError::Cycle { ref cycle } if cycle.len() == 3));
}

#[test]
fn a_self_dependency_is_a_cycle() {
    let objects = fixture("cycle", "objects.yaml");
    let a = key("", "ConfigMap", "demo", "a");
    let err = Graph::build(&objects, &[], &[(a.clone(), a)]).expect_err("cycle");
    assert_eq!(
        err.to_string(),
        "dependency cycle: configmap/a -> configmap/a"
    );
}

#[test]
fn duplicates_and_unknown_dependents_are_errors() {
    let objects = fixture("cycle", "objects.yaml");
    let err = Graph::build(&objects, &objects[..1], &[]).expect_err("duplicate");
    assert_eq!(
        err.to_string(),
        "configmap/a in namespace demo is given more than once (as apply and as delete)"
    );

    let extra = [(
        key("apps", "Deployment", "demo", "nope"),
        key("", "ConfigMap", "demo", "a"),
    )];
    let err = Graph::build(&objects, &[], &extra).expect_err("unknown dependent");
    assert_eq!(
        err.to_string(),
        "explicit dependency of deployment/nope in namespace demo on configmap/a in namespace demo: \
         deployment/nope in namespace demo is not part of the deployment"
    );
}

#[test]
fn deletions_run_in_reverse_after_every_apply() {
    let desired = fixture("prune", "objects.yaml");
    let prune = fixture("prune", "prune.yaml");
    let graph = Graph::build(&desired, &prune, &[]).expect("graph builds");
    assert_eq!(
        order(&graph),
        [
            "namespace/demo",
            "demo/configmap/settings-v2",
            "demo/deployment.apps/api",
            "demo/service/api",
            "demo/service/old-worker",
            "demo/deployment.apps/old-worker",
            "demo/configmap/settings-v1",
            "legacy/configmap/leftover",
            "demo/secret/old-creds",
            "namespace/legacy",
        ]
    );
    let actions: Vec<NodeRole> = graph.order().iter().map(|n| n.action).collect();
    assert_eq!(actions[..4], [NodeRole::Apply; 4]);
    assert_eq!(actions[4..], [NodeRole::Delete; 6]);

    let all = edges(&graph);
    for expected in [
        // Flipped: the deleted workload goes before what it used.
        "demo/deployment.apps/old-worker -> demo/configmap/settings-v1 (mounts configmap)",
        "demo/deployment.apps/old-worker -> demo/secret/old-creds (env from secret)",
        "demo/service/old-worker -> demo/deployment.apps/old-worker (selects)",
        "legacy/configmap/leftover -> namespace/legacy (in namespace)",
        // A desired object naming a deleted one is applied first.
        "demo/deployment.apps/api -> demo/secret/old-creds (env from secret)",
        // A deleted object in a desired namespace: the namespace is applied first.
        "namespace/demo -> demo/deployment.apps/old-worker (in namespace)",
    ] {
        assert!(
            all.contains(&expected.to_string()),
            "missing edge {expected}"
        );
    }
    assert_eq!(
        graph.references_to_deleted(),
        [Reference {
            dependent: key("apps", "Deployment", "demo", "api"),
            dependency: key("", "Secret", "demo", "old-creds"),
            reason: Reason::EnvFromSecret,
        }]
    );
    // What a deleted object referenced does not matter any more.
    assert!(graph
        .missing_references()
        .iter()
        .all(|r| r.dependency.name != "gone-already"));

    let waves = graph.waves();
    let last_apply = waves
        .iter()
        .rposition(|w| w.iter().any(|n| n.action == NodeRole::Apply))
        .expect("applies");
    assert!(waves[..=last_apply]
        .iter()
        .flatten()
        .all(|n| n.action == NodeRole::Apply));
    assert_consistent(&graph);
}

#[test]
fn a_pruned_quota_goes_after_the_workloads_it_governed() {
    let objects = fixture("quota", "objects.yaml");
    let (prune, desired): (Vec<Object>, Vec<Object>) = objects
        .into_iter()
        .partition(|o| o.kind == "ResourceQuota" && o.namespace.as_deref() == Some("demo"));
    let graph = Graph::build(&desired, &prune, &[]).expect("graph builds");
    assert_eq!(
        order(&graph).last().map(String::as_str),
        Some("demo/resourcequota/compute")
    );
    assert!(edges(&graph).contains(
        &"demo/deployment.apps/api -> demo/resourcequota/compute (quota applies)".into()
    ));
    // Nothing names a quota, so nothing is left dangling by its deletion.
    assert!(graph.references_to_deleted().is_empty());
    assert_consistent(&graph);
}

#[test]
fn waves_of_a_product() {
    let graph = build("product");
    let waves: Vec<Vec<String>> = graph
        .waves()
        .into_iter()
        .map(|w| w.iter().map(|n| n.key.to_string()).collect())
        .collect();
    assert_eq!(
        waves,
        [
            vec!["namespace/orders-dev"],
            vec![
                "resourcequota/orders-quota",
                "limitrange/orders-limits",
                "role/orders-runner",
                "secret/registry-credentials",
                "secret/warehouse-connection",
                "configmap/orders-config",
                "networkpolicy/allow-code-location",
                "networkpolicy/default-deny",
            ],
            vec!["serviceaccount/orders"],
            vec![
                "rolebinding/orders-runner",
                "deployment/code-location",
                "cronjob/dbt-nightly",
            ],
            vec![
                "service/code-location",
                "horizontalpodautoscaler/code-location",
                "poddisruptionbudget/code-location",
            ],
            vec!["ingress/code-location"],
        ]
    );
    assert!(graph.missing_references().is_empty());
    assert_consistent(&graph);
}

#[test]
fn queries_follow_the_edges() {
    let graph = build("product");
    let deployment = key("apps", "Deployment", "orders-dev", "code-location");
    assert_eq!(
        graph
            .dependencies_of(&deployment)
            .iter()
            .map(|n| n.key.to_string())
            .collect::<Vec<_>>(),
        [
            "namespace/orders-dev",
            "resourcequota/orders-quota",
            "limitrange/orders-limits",
            "serviceaccount/orders",
            "secret/warehouse-connection",
            "configmap/orders-config",
        ]
    );
    assert_eq!(
        graph
            .all_dependents_of(&deployment)
            .iter()
            .map(|n| n.key.to_string())
            .collect::<Vec<_>>(),
        [
            "service/code-location",
            "ingress/code-location",
            "horizontalpodautoscaler/code-location",
            "poddisruptionbudget/code-location",
        ]
    );
    let secret = key("", "Secret", "orders-dev", "registry-credentials");
    assert_eq!(
        graph
            .dependents_of(&secret)
            .iter()
            .map(|n| n.key.to_string())
            .collect::<Vec<_>>(),
        ["serviceaccount/orders"]
    );
    // Transitively through the ServiceAccount.
    let skipped: Vec<String> = graph
        .all_dependents_of(&secret)
        .iter()
        .map(|n| n.key.to_string())
        .collect();
    assert!(skipped.contains(&"ingress/code-location".to_string()));
    assert!(skipped.contains(&"cronjob/dbt-nightly".to_string()));
    assert!(!skipped.contains(&"configmap/orders-config".to_string()));
    assert_eq!(graph.all_dependencies_of(&deployment).len(), 7);

    let unknown = key("", "ConfigMap", "orders-dev", "nope");
    assert!(graph.dependencies_of(&unknown).is_empty());
    assert!(graph.all_dependents_of(&unknown).is_empty());
    assert!(!graph.contains(&unknown));
}

#[test]
fn results_do_not_depend_on_input_order() {
    let objects = fixture("product", "objects.yaml");
    let reference = Graph::build(&objects, &[], &[]).expect("graph builds");
    let mut shuffled = objects.clone();
    // A fixed permutation per round keeps the test itself deterministic.
    for round in 0..8 {
        shuffled.reverse();
        let by = round * 3 % shuffled.len();
        shuffled.rotate_left(by);
        let graph = Graph::build(&shuffled, &[], &[]).expect("graph builds");
        assert_eq!(order(&graph), order(&reference));
        assert_eq!(edges(&graph), edges(&reference));
        assert_eq!(
            floe::graph::to_json(&graph),
            floe::graph::to_json(&reference)
        );
        assert_eq!(
            floe::graph::to_mermaid(&graph),
            floe::graph::to_mermaid(&reference)
        );
        assert_eq!(floe::graph::to_dot(&graph), floe::graph::to_dot(&reference));
    }
}

#[test]
fn malformed_bodies_are_not_references() {
    let docs = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: odd, namespace: demo}
spec:
  template:
    metadata: {labels: [not, a, map]}
    spec:
      serviceAccountName: 42
      volumes: "nope"
      containers:
        - env: {not: a list}
          envFrom: [7, {configMapRef: null}, {secretRef: {name: ""}}]
        - 12
---
apiVersion: v1
kind: Service
metadata: {name: odd, namespace: demo}
spec:
  selector: {app: [1, 2]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: odd, namespace: demo}
spec:
  selector: {matchExpressions: [{key: app, operator: In, values: [1]}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: odd, namespace: demo}
spec:
  rules: [{http: {paths: [{backend: {service: "x"}}]}}, null]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: odd, namespace: demo}
roleRef: "view"
subjects: [{kind: ServiceAccount}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: odd, namespace: demo}
spec:
  scaleTargetRef: {kind: Deployment, name: odd}
"#;
    let objects: Vec<Object> = serde_norway::Deserializer::from_str(docs)
        .map(|d| {
            Object::from_value(serde_json::Value::deserialize(d).expect("yaml")).expect("object")
        })
        .collect();
    let graph = Graph::build(&objects, &[], &[]).expect("graph builds");
    // The HPA without apiVersion still finds its Deployment by kind.
    assert_eq!(
        edges(&graph),
        ["demo/deployment.apps/odd -> demo/horizontalpodautoscaler.autoscaling/odd (scales)"]
    );
    assert_consistent(&graph);
}

#[test]
fn an_empty_graph_has_no_waves() {
    let graph = Graph::build(&[], &[], &[]).expect("graph builds");
    assert!(graph.is_empty());
    assert!(graph.order().is_empty());
    assert!(graph.waves().is_empty());
    assert!(graph.edges().is_empty());
}
