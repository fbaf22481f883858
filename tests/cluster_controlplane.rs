//! The local control plane runs real workloads,
//! admission, authorization and the policy controllers.
//! Needs the test cluster (`bash scripts/test.sh` starts one).

mod support;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{LimitRange, Pod, ResourceQuota, ServiceAccount};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{Api, ListParams, PostParams};
use kube::ResourceExt;
use serde_json::{json, Value};
use support::{condition, pod_node, pod_phase, pod_ready, TestNs};

fn deployment(name: &str, replicas: i32) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [TestNs::container("app")]},
            },
        },
    })
}

fn job_spec(labels: Value) -> Value {
    json!({
        "backoffLimit": 0,
        "ttlSecondsAfterFinished": 600,
        "activeDeadlineSeconds": 300,
        "template": {
            "metadata": {"labels": labels},
            "spec": {"restartPolicy": "Never", "containers": [TestNs::container("run")]},
        },
    })
}

#[tokio::test]
async fn deployment_becomes_available_with_all_pods_ready() {
    let ns = TestNs::new("deploy").await;
    ns.create::<Deployment>(deployment("web", 3)).await;

    let d = ns
        .wait_for::<Deployment>("web", "Available with 3 ready replicas", |d| {
            let s = d.status.as_ref();
            condition(d, "Available").as_deref() == Some("True")
                && s.and_then(|s| s.ready_replicas) == Some(3)
                && s.and_then(|s| s.available_replicas) == Some(3)
        })
        .await;
    assert_eq!(d.status.unwrap().updated_replicas, Some(3));

    let pods = ns
        .api::<Pod>()
        .list(&ListParams::default().labels("app=web"))
        .await
        .unwrap()
        .items;
    assert_eq!(pods.len(), 3, "exactly the 3 replicas exist");
    for p in &pods {
        assert_eq!(pod_phase(p), "Running", "{}", p.name_any());
        assert!(pod_ready(p), "pod {} is Ready", p.name_any());
        let node = pod_node(p).expect("pod is scheduled");
        assert!(
            node.starts_with("floe-worker-"),
            "untolerating pod {} landed on {node}",
            p.name_any()
        );
    }
}

#[tokio::test]
async fn job_completes_and_a_job_from_a_cronjob_template_runs() {
    let ns = TestNs::new("jobs").await;
    ns.create::<Job>(json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "dbt-run"},
        "spec": job_spec(json!({"app": "dbt-run"})),
    }))
    .await;

    // A CronJob that would only fire on 1 January; the test runs its template now,
    // the way `kubectl create job --from=cronjob/...` does.
    let cron: CronJob = ns
        .create(json!({
            "apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "nightly"},
            "spec": {
                "schedule": "0 3 1 1 *",
                "timeZone": "UTC",
                "concurrencyPolicy": "Forbid",
                "startingDeadlineSeconds": 300,
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 10,
                "jobTemplate": {"spec": job_spec(json!({"app": "nightly"}))},
            },
        }))
        .await;
    let template = cron
        .spec
        .as_ref()
        .unwrap()
        .job_template
        .spec
        .clone()
        .unwrap();
    let manual = json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {
            "name": "nightly-manual",
            "annotations": {"cronjob.kubernetes.io/instantiate": "manual"},
            "ownerReferences": [{
                "apiVersion": "batch/v1", "kind": "CronJob", "name": "nightly",
                "uid": cron.uid().unwrap(), "controller": true,
            }],
        },
        "spec": serde_json::to_value(template).unwrap(),
    });
    ns.create::<Job>(manual).await;

    for name in ["dbt-run", "nightly-manual"] {
        let job = ns
            .wait_for::<Job>(name, "Complete", |j| {
                condition(j, "Complete").as_deref() == Some("True")
            })
            .await;
        let status = job.status.unwrap();
        assert_eq!(status.succeeded, Some(1), "{name}: one pod succeeded");
        assert_eq!(status.failed.unwrap_or(0), 0, "{name}: no pod failed");
    }
    let pods = ns
        .api::<Pod>()
        .list(&ListParams::default().labels("app=nightly"))
        .await
        .unwrap()
        .items;
    assert_eq!(pods.len(), 1);
    assert_eq!(pod_phase(&pods[0]), "Succeeded");
}

#[tokio::test]
async fn quota_rejects_an_oversized_pod_and_limitrange_defaults_resources() {
    let ns = TestNs::new("quota").await;
    ns.create::<LimitRange>(json!({
        "apiVersion": "v1", "kind": "LimitRange",
        "metadata": {"name": "defaults"},
        "spec": {"limits": [{
            "type": "Container",
            "default": {"cpu": "200m", "memory": "256Mi"},
            "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
        }]},
    }))
    .await;
    ns.create::<ResourceQuota>(json!({
        "apiVersion": "v1", "kind": "ResourceQuota",
        "metadata": {"name": "compute"},
        "spec": {"hard": {
            "pods": "5",
            "requests.cpu": "1", "requests.memory": "1Gi",
            "limits.cpu": "2", "limits.memory": "2Gi",
        }},
    }))
    .await;
    // Until the quota controller has computed the status, admission refuses pods.
    ns.wait_for::<ResourceQuota>("compute", "status computed", |q| {
        q.status
            .as_ref()
            .and_then(|s| s.hard.as_ref())
            .is_some_and(|h| h.contains_key("requests.cpu"))
    })
    .await;

    // A container without resources gets the LimitRange defaults.
    let pod: Pod = ns
        .create(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "defaulted"},
            "spec": {"containers": [{"name": "app", "image": "registry.floe.local/test/app:1.0"}]},
        }))
        .await;
    let res = pod.spec.unwrap().containers[0]
        .resources
        .clone()
        .expect("resources were defaulted");
    let q = |m: &Option<
        std::collections::BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
    >,
             k: &str| { m.as_ref().and_then(|m| m.get(k)).map(|q| q.0.clone()) };
    assert_eq!(q(&res.requests, "cpu").as_deref(), Some("100m"));
    assert_eq!(q(&res.requests, "memory").as_deref(), Some("128Mi"));
    assert_eq!(q(&res.limits, "cpu").as_deref(), Some("200m"));
    assert_eq!(q(&res.limits, "memory").as_deref(), Some("256Mi"));

    // A pod over the quota is rejected by admission.
    let err = ns
        .try_create::<Pod>(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "too-big"},
            "spec": {"containers": [{
                "name": "app", "image": "registry.floe.local/test/app:1.0",
                "resources": {"requests": {"cpu": "1500m", "memory": "64Mi"}, "limits": {"cpu": "1500m", "memory": "64Mi"}},
            }]},
        }))
        .await
        .expect_err("a pod requesting 1.5 CPU must not fit a 1 CPU quota");
    match &err {
        kube::Error::Api(status) => {
            assert_eq!(status.code, 403, "{err}");
            assert!(status.message.contains("exceeded quota"), "{err}");
        }
        other => panic!("expected an admission rejection, got {other}"),
    }
    assert!(ns.api::<Pod>().get_opt("too-big").await.unwrap().is_none());

    // The quota controller accounts for the admitted pod.
    ns.wait_for::<ResourceQuota>("compute", "usage of the defaulted pod", |q| {
        let used = q.status.as_ref().and_then(|s| s.used.as_ref());
        used.and_then(|u| u.get("requests.cpu"))
            .map(|v| v.0.as_str())
            == Some("100m")
            && used.and_then(|u| u.get("pods")).map(|v| v.0.as_str()) == Some("1")
    })
    .await;
}

#[tokio::test]
async fn hpa_and_pdb_are_accepted_and_pdb_status_is_computed() {
    let ns = TestNs::new("hpa-pdb").await;
    ns.create::<Deployment>(deployment("api", 2)).await;
    let hpa: HorizontalPodAutoscaler = ns
        .create(json!({
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "api"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"},
                "minReplicas": 2, "maxReplicas": 5,
                "metrics": [{"type": "Resource", "resource": {
                    "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70},
                }}],
            },
        }))
        .await;
    let spec = hpa.spec.unwrap();
    assert_eq!((spec.min_replicas, spec.max_replicas), (Some(2), 5));
    assert_eq!(spec.metrics.unwrap().len(), 1);

    ns.create::<PodDisruptionBudget>(json!({
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": "api"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "api"}}},
    }))
    .await;
    let pdb = ns
        .wait_for::<PodDisruptionBudget>("api", "2 healthy pods, 1 disruption allowed", |p| {
            p.status.as_ref().is_some_and(|s| {
                s.expected_pods == 2
                    && s.current_healthy == 2
                    && s.desired_healthy == 1
                    && s.disruptions_allowed == 1
            })
        })
        .await;
    assert_eq!(
        condition(&pdb, "DisruptionAllowed").as_deref(),
        Some("True")
    );

    // The HPA controller picks the object up (no metrics server here, so it
    // reports that it cannot compute the metric, but it does act on it).
    ns.wait_for::<HorizontalPodAutoscaler>("api", "controller set conditions", |h| {
        condition(h, "AbleToScale").is_some()
    })
    .await;
}

#[tokio::test]
async fn admin_is_authenticated_by_client_cert_and_rbac_denies_unbound_accounts() {
    let ns = TestNs::new("rbac").await;
    let version = ns.client.apiserver_version().await.unwrap();
    assert!(
        version.git_version.starts_with("v1."),
        "server version {}",
        version.git_version
    );
    assert_ne!(
        version.git_version, "v0.0.0",
        "version must be stamped at build time"
    );

    let sas = ns.api::<ServiceAccount>();
    sas.create(
        &PostParams::default(),
        &serde_json::from_value(json!({"metadata": {"name": "reader"}})).unwrap(),
    )
    .await
    .unwrap();
    let req: Value = sas
        .create_subresource(
            "token",
            "reader",
            &PostParams::default(),
            &json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 600}}),
        )
        .await
        .expect("token request");
    let token = req["status"]["token"].as_str().expect("token issued");
    let sa_client = support::client_with_token(token).await;
    let sa_pods: Api<Pod> = Api::namespaced(sa_client.clone(), &ns.name);

    let err = sa_pods
        .list(&ListParams::default())
        .await
        .expect_err("RBAC must deny an unbound account");
    assert!(
        matches!(&err, kube::Error::Api(s) if s.code == 403),
        "expected 403, got {err}"
    );

    // Granting a Role makes the same request succeed: authorization is RBAC.
    let roles: Api<k8s_openapi::api::rbac::v1::Role> = ns.api();
    roles
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({
                "metadata": {"name": "pod-reader"},
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    let bindings: Api<k8s_openapi::api::rbac::v1::RoleBinding> = ns.api();
    bindings
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({
                "metadata": {"name": "reader-pods"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"},
                "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": ns.name}],
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    support::eventually("the RoleBinding to take effect", support::TIMEOUT, || {
        let sa_pods = sa_pods.clone();
        async move {
            sa_pods
                .list(&ListParams::default())
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    })
    .await;
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(sa_client, &ns.name);
    assert!(
        secrets.list(&ListParams::default()).await.is_err(),
        "secrets stay forbidden"
    );
}

#[tokio::test]
async fn two_clusters_run_at_once() {
    let (a, b) = (support::client().await, support::second_client().await);
    let ns = support::unique_name("only-in-a");
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(a.clone());
    namespaces
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": ns}})).unwrap(),
        )
        .await
        .unwrap();
    let in_b: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(b.clone());
    assert!(
        in_b.get_opt(&ns).await.unwrap().is_none(),
        "the clusters share no state"
    );
    let uid = |c: kube::Client| async move {
        let nss: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(c);
        nss.get("kube-system").await.unwrap().uid().unwrap()
    };
    assert_ne!(uid(a).await, uid(b.clone()).await, "two distinct clusters");
    let nodes: Api<k8s_openapi::api::core::v1::Node> = Api::all(b);
    let ready = nodes
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .iter()
        .filter(|n| condition(*n, "Ready").as_deref() == Some("True"))
        .count();
    assert!(ready >= 3, "the second cluster has its default nodes");
    namespaces.delete(&ns, &Default::default()).await.unwrap();
}
