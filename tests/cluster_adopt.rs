//! Adoption is explicit: an object the product renders that already exists
//! in the cluster without floe's labels (made by hand) is planned as an
//! adoption naming who wrote it and what floe takes over, is refused
//! without `--adopt` (the object stays exactly as it was), and with it is
//! taken over and owned from then on. Against the real local control plane;
//! each test asserts on what the cluster holds afterwards.

mod support;

use floe::apply::session::{self, SessionError, SessionReport};
use floe::apply::Silent;
use floe::cluster::Cluster;
use floe::model::{self, Environment};
use floe::plan::compute::{plan, PlanOptions};
use floe::plan::{Action, Change, Plan};
use floe::render::{self, DesiredSet};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, ObjectMeta, PostParams};
use std::collections::BTreeMap;
use std::path::Path;

const CONFIG: &str = "floe-platform";

/// examples/minimal rendered into namespace `namespace`.
fn minimal_in(namespace: &str) -> DesiredSet {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/minimal");
    let mut product = model::load(&dir, Environment::Dev, None).expect("example loads");
    product.settings.namespace.name = Some(namespace.to_string());
    render::render(&product)
}

fn adopting() -> PlanOptions {
    PlanOptions {
        adopt: true,
        ..PlanOptions::default()
    }
}

async fn apply(c: &Cluster, p: &Plan) -> Result<SessionReport, SessionError> {
    let (_tx, rx) = tokio::sync::watch::channel(false);
    session::run(c, p, &support::session_options(), &Silent, rx).await
}

fn change_of<'a>(p: &'a Plan, kind: &str, name: &str) -> &'a Change {
    p.changes
        .iter()
        .find(|c| c.key.kind == kind && c.key.name == name)
        .unwrap_or_else(|| panic!("{kind}/{name} is not in the plan"))
}

/// `metadata` of a ConfigMap or Namespace: resourceVersion and labels.
fn identity(meta: &ObjectMeta) -> (String, BTreeMap<String, String>) {
    (
        meta.resource_version.clone().expect("a resourceVersion"),
        meta.labels.clone().unwrap_or_default(),
    )
}

/// A ConfigMap made by hand (field manager `kubectl-create`), with the name
/// of one the product renders, another value for `FLOE_ENVIRONMENT` and a
/// key of its own.
async fn hand_made_config(namespace: &str) -> ConfigMap {
    let api: Api<ConfigMap> = Api::namespaced(support::client().await, namespace);
    let cm: ConfigMap = serde_json::from_value(serde_json::json!({
        "metadata": {"name": CONFIG, "labels": {"team": "platform"}},
        "data": {"FLOE_ENVIRONMENT": "by-hand", "hand": "made"}
    }))
    .unwrap();
    let params = PostParams {
        field_manager: Some("kubectl-create".into()),
        ..PostParams::default()
    };
    api.create(&params, &cm)
        .await
        .expect("a hand-made ConfigMap")
}

/// A plan of `desired` now has nothing to do: floe owns what it adopted.
async fn assert_no_changes(c: &Cluster, desired: &DesiredSet) {
    let again = plan(c, desired, &PlanOptions::default())
        .await
        .expect("plan");
    assert!(
        !again.has_changes(),
        "{}",
        floe::plan::format::to_text(&again, false)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_made_object_is_adopted_only_with_the_flag() {
    let c = support::floe_cluster().await;
    let ns = support::unique_name("adopt-config");
    let desired = minimal_in(&ns);
    // The product without its ConfigMap, deployed.
    let mut without = minimal_in(&ns);
    without.objects.retain(|o| o.kind != "ConfigMap");
    let first = plan(&c, &without, &PlanOptions::default())
        .await
        .expect("plan");
    assert!(apply(&c, &first).await.expect("apply").report.succeeded());
    let made = hand_made_config(&ns).await;

    let p = plan(&c, &desired, &PlanOptions::default())
        .await
        .expect("plan");
    let cm = change_of(&p, "ConfigMap", CONFIG);
    assert_eq!(cm.action, Action::Adopt, "{cm:?}");
    assert_eq!(cm.actions, vec!["adopt"]);
    assert_eq!(cm.other_managers, vec!["kubectl-create".to_string()]);
    assert!(
        cm.drift
            .iter()
            .any(|d| d.manager == "kubectl-create" && d.field == ".data.FLOE_ENVIRONMENT"),
        "the field floe takes over, with its manager: {:?}",
        cm.drift
    );
    assert_eq!(
        cm.after
            .as_ref()
            .and_then(|a| a.pointer("/data/FLOE_ENVIRONMENT")),
        Some(&serde_json::json!("dev")),
        "after shows floe's value"
    );
    assert_eq!(cm.live_uid, made.metadata.uid, "the plan saw the object");
    assert_eq!(cm.requires_flag.as_deref(), Some("--adopt"));
    assert!(
        p.blocked
            .iter()
            .any(|b| b.contains("configmap/floe-platform") && b.contains("--adopt")),
        "{:?}",
        p.blocked
    );
    assert_eq!(p.summary.adopt, 1);
    assert!(
        p.summary.line().ends_with(", 1 to adopt."),
        "{}",
        p.summary.line()
    );
    assert_eq!(
        p.changes.iter().filter(|c| c.is_change()).count(),
        1,
        "only the ConfigMap changes:\n{}",
        floe::plan::format::to_text(&p, false)
    );

    // Without --adopt nothing is written: same object, no floe labels.
    match apply(&c, &p).await {
        Err(SessionError::Blocked(what)) => assert!(what.join(" ").contains("--adopt")),
        other => panic!("an adoption without --adopt must be refused, got {other:?}"),
    }
    let api: Api<ConfigMap> = Api::namespaced(support::client().await, &ns);
    let now = api.get(CONFIG).await.expect("still there");
    assert_eq!(identity(&now.metadata), identity(&made.metadata));
    assert_eq!(now.metadata.uid, made.metadata.uid);

    // With --adopt it is taken over and owned.
    let p = plan(&c, &desired, &adopting()).await.expect("plan");
    assert!(p.blocked.is_empty(), "{:?}", p.blocked);
    assert_eq!(change_of(&p, "ConfigMap", CONFIG).requires_flag, None);
    let report = apply(&c, &p).await.expect("apply");
    assert!(report.report.succeeded(), "{:?}", report.report.objects);
    let now = api.get(CONFIG).await.expect("still there");
    assert_eq!(
        now.metadata.uid, made.metadata.uid,
        "taken over, not recreated"
    );
    let (_, labels) = identity(&now.metadata);
    assert_eq!(labels["app.kubernetes.io/managed-by"], "floe");
    assert_eq!(labels["floe.dev/product"], desired.product);
    let data = now.data.clone().unwrap_or_default();
    for (key, value) in desired_data(&desired) {
        assert_eq!(data.get(&key), Some(&value), "floe's {key}");
    }
    assert_eq!(
        data["hand"], "made",
        "a field only the hand set stays, as planned"
    );

    // Owned from now on: nothing to do, and no longer desired means pruned.
    assert_no_changes(&c, &desired).await;
    let pruned = plan(&c, &without, &PlanOptions::default())
        .await
        .expect("plan");
    assert_eq!(
        change_of(&pruned, "ConfigMap", CONFIG).action,
        Action::Delete
    );
    support::delete_namespace(&ns);
}

fn desired_data(desired: &DesiredSet) -> BTreeMap<String, String> {
    let body = &desired
        .objects
        .iter()
        .find(|o| o.kind == "ConfigMap" && o.name == CONFIG)
        .expect("the product renders the ConfigMap")
        .body;
    serde_json::from_value(body["data"].clone()).expect("string data")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_made_by_hand_is_adopted_only_with_the_flag() {
    let c = support::floe_cluster().await;
    let ns = support::unique_name("adopt-namespace");
    let namespaces: Api<Namespace> = Api::all(support::client().await);
    let made: Namespace =
        serde_json::from_value(serde_json::json!({"metadata": {"name": ns}})).unwrap();
    let made = namespaces
        .create(&PostParams::default(), &made)
        .await
        .expect("a hand-made namespace");
    let desired = minimal_in(&ns);

    let p = plan(&c, &desired, &PlanOptions::default())
        .await
        .expect("plan");
    let change = change_of(&p, "Namespace", &ns);
    assert_eq!(change.action, Action::Adopt, "{change:?}");
    assert_eq!(change.requires_flag.as_deref(), Some("--adopt"));
    assert!(!change.other_managers.is_empty(), "{change:?}");
    assert!(matches!(apply(&c, &p).await, Err(SessionError::Blocked(_))));
    let now = namespaces.get(&ns).await.expect("the namespace");
    assert_eq!(identity(&now.metadata), identity(&made.metadata));
    let configs: Api<ConfigMap> = Api::namespaced(support::client().await, &ns);
    assert!(
        configs.get_opt(CONFIG).await.unwrap().is_none(),
        "nothing of the product was created"
    );

    let p = plan(&c, &desired, &adopting()).await.expect("plan");
    let report = apply(&c, &p).await.expect("apply");
    assert!(report.report.succeeded(), "{:?}", report.report.objects);
    let now = namespaces.get(&ns).await.expect("the namespace");
    assert_eq!(now.metadata.uid, made.metadata.uid);
    assert_eq!(
        identity(&now.metadata).1["floe.dev/product"],
        desired.product
    );
    assert_no_changes(&c, &desired).await;
    support::delete_namespace(&ns);
}
