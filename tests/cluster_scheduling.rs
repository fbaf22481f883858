//! The real scheduler decides node affinity,
//! taints/tolerations and resource fit against kwok nodes with real capacity.
//! Needs the test cluster (`bash scripts/test.sh` starts one).

mod support;

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use serde_json::{json, Value};
use support::{always, condition, pod_node, pod_phase, FakeNode, TestNs};

fn pod(name: &str, spec_extra: Value) -> Value {
    let mut spec = json!({"containers": [TestNs::container("app")]});
    for (k, v) in spec_extra.as_object().unwrap() {
        spec[k] = v.clone();
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec})
}

fn pod_with_cpu(name: &str, cpu: &str, spec_extra: Value) -> Value {
    let mut p = pod(name, spec_extra);
    p["spec"]["containers"][0]["resources"] = json!({"requests": {"cpu": cpu, "memory": "64Mi"}, "limits": {"cpu": cpu, "memory": "64Mi"}});
    p
}

#[tokio::test]
async fn scheduler_honours_affinity_taints_and_capacity() {
    let ns = TestNs::new("sched").await;
    let run = ns.name.clone();
    // Three private nodes (4 CPU each): two plain ones told apart by a label,
    // and a tainted batch node.
    let ssd = ns
        .fake_node(
            FakeNode::new("ssd")
                .label("floe.dev/test-run", &run)
                .label("disktype", "ssd"),
        )
        .await;
    let hdd = ns
        .fake_node(
            FakeNode::new("hdd")
                .label("floe.dev/test-run", &run)
                .label("disktype", "hdd"),
        )
        .await;
    let batch = ns
        .fake_node(
            FakeNode::new("batch")
                .label("floe.dev/test-run", &run)
                .label("floe.dev/pool", &format!("batch-{run}"))
                .taint("dedicated", "batch", "NoSchedule"),
        )
        .await;
    let (ssd, hdd, batch) = (
        ssd.metadata.name.unwrap(),
        hdd.metadata.name.unwrap(),
        batch.metadata.name.unwrap(),
    );
    let private = json!([TestNs::any_test_node_toleration()]);

    // Required node affinity: every replica on the matching node only.
    let mut affine = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "affine"},
        "spec": {
            "replicas": 4,
            "selector": {"matchLabels": {"app": "affine"}},
            "template": {"metadata": {"labels": {"app": "affine"}}, "spec": {
                "containers": [TestNs::container("app")],
                "tolerations": private,
                "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [
                        {"key": "floe.dev/test-run", "operator": "In", "values": [run]},
                        {"key": "disktype", "operator": "In", "values": ["ssd"]},
                    ]}],
                }}},
            }},
        },
    });
    ns.create::<Deployment>(affine.clone()).await;

    // No toleration for dedicated=batch, but a strong *preference* for the batch
    // node: the taint must win, the pods go to the other test nodes.
    affine["metadata"]["name"] = json!("untolerating");
    affine["spec"]["selector"]["matchLabels"]["app"] = json!("untolerating");
    affine["spec"]["template"]["metadata"]["labels"]["app"] = json!("untolerating");
    affine["spec"]["template"]["spec"]["affinity"] = json!({"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": "floe.dev/test-run", "operator": "In", "values": [run]},
        ]}]},
        "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "preference": {"matchExpressions": [
            {"key": "floe.dev/pool", "operator": "In", "values": [format!("batch-{run}")]},
        ]}}],
    }});
    ns.create::<Deployment>(affine).await;

    // With the toleration, a pod selecting the batch node lands there.
    let mut tolerations = vec![TestNs::any_test_node_toleration()];
    tolerations.push(
        json!({"key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoSchedule"}),
    );
    ns.create::<Pod>(pod(
        "tolerating",
        json!({"tolerations": tolerations, "nodeSelector": {"floe.dev/pool": format!("batch-{run}")}}),
    ))
    .await;
    // Without it, the same pod is never scheduled.
    ns.create::<Pod>(pod(
        "batch-no-toleration",
        json!({"tolerations": private, "nodeSelector": {"floe.dev/pool": format!("batch-{run}")}}),
    ))
    .await;

    let affine = ns
        .wait_for_pods("app=affine", "4 running pods", |ps| {
            ps.len() == 4 && ps.iter().all(|p| pod_phase(p) == "Running")
        })
        .await;
    for p in &affine {
        assert_eq!(
            pod_node(p),
            Some(ssd.as_str()),
            "affinity pod on the ssd node only"
        );
    }
    let untolerating = ns
        .wait_for_pods("app=untolerating", "4 running pods", |ps| {
            ps.len() == 4 && ps.iter().all(|p| pod_phase(p) == "Running")
        })
        .await;
    for p in &untolerating {
        let node = pod_node(p).unwrap();
        assert!(
            node == ssd || node == hdd,
            "pod without toleration landed on {node}"
        );
        assert_ne!(node, batch);
    }
    let tolerating = ns
        .wait_for::<Pod>("tolerating", "Running", |p| pod_phase(p) == "Running")
        .await;
    assert_eq!(pod_node(&tolerating), Some(batch.as_str()));

    let msg = ns
        .wait_for_event("batch-no-toleration", "FailedScheduling")
        .await;
    assert!(
        msg.contains("untolerated taint"),
        "FailedScheduling message: {msg}"
    );
    let p = ns.api::<Pod>().get("batch-no-toleration").await.unwrap();
    assert_eq!(pod_node(&p), None);
    assert_eq!(condition(&p, "PodScheduled").as_deref(), Some("False"));

    // Resource fit against the nodes' real capacity: 4 CPU per node, 8 replicas
    // of 10m already run on ssd/hdd. A 3-CPU pod fits on the batch node
    // (only "tolerating" runs there), a second one does not fit anywhere.
    let fit = json!({"tolerations": tolerations, "nodeSelector": {"floe.dev/pool": format!("batch-{run}")}});
    ns.create::<Pod>(pod_with_cpu("big-1", "3", fit.clone()))
        .await;
    let big1 = ns
        .wait_for::<Pod>("big-1", "Running", |p| pod_phase(p) == "Running")
        .await;
    assert_eq!(pod_node(&big1), Some(batch.as_str()));
    ns.create::<Pod>(pod_with_cpu("big-2", "3", fit)).await;
    let msg = ns.wait_for_event("big-2", "FailedScheduling").await;
    assert!(
        msg.contains("Insufficient cpu"),
        "FailedScheduling message: {msg}"
    );

    // An unschedulable pod (more CPU than any node has) gets FailedScheduling and stays Pending.
    ns.create::<Pod>(pod_with_cpu("huge", "64", json!({})))
        .await;
    let msg = ns.wait_for_event("huge", "FailedScheduling").await;
    assert!(
        msg.contains("Insufficient cpu"),
        "FailedScheduling message: {msg}"
    );
    let pods = ns.api::<Pod>();
    always(
        "big-2 and huge to stay unscheduled",
        Duration::from_secs(3),
        || {
            let pods = pods.clone();
            async move {
                for name in ["big-2", "huge", "batch-no-toleration"] {
                    let p = pods.get(name).await.map_err(|e| e.to_string())?;
                    if let Some(node) = pod_node(&p) {
                        return Err(format!("{name} was scheduled to {node}"));
                    }
                }
                Ok(())
            }
        },
    )
    .await;
}
