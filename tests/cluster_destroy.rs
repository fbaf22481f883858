//! `floe destroy` removes everything a product owns in one environment and
//! nothing else: another product, objects made by hand (in the product's
//! namespace, which then stays, or elsewhere) keep their uid and
//! resourceVersion. Data and the namespace go only with their flags; without
//! them nothing at all is deleted. Against the real local control plane;
//! each test asserts on what the cluster holds afterwards.

mod support;

use floe::apply::session::{self, SessionError, SessionReport};
use floe::apply::Silent;
use floe::cluster::Cluster;
use floe::model::{self, Environment, Product};
use floe::object::ObjectKey;
use floe::plan::compute::{plan, PlanOptions};
use floe::plan::observe::{observe, read_one};
use floe::plan::{Action, Plan};
use floe::render::{self, DesiredSet};
use floe::state::{History, RevisionOutcome};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;

/// examples/minimal as product `name` in namespace `namespace`.
fn product(name: &str, namespace: &str) -> Product {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/minimal");
    let mut product = model::load(&dir, Environment::Dev, None).expect("example loads");
    product.spec.metadata.name = name.to_string();
    product.settings.namespace.name = Some(namespace.to_string());
    product
}

/// `desired` plus a PersistentVolumeClaim floe owns.
fn with_pvc(desired: DesiredSet) -> DesiredSet {
    support::with_owned_pvc(desired, "uploads", "ReadWriteOnce")
}

async fn run(c: &Cluster, p: &Plan) -> Result<SessionReport, SessionError> {
    let (_tx, rx) = tokio::sync::watch::channel(false);
    session::run(c, p, &support::session_options(), &Silent, rx).await
}

async fn deploy(c: &Cluster, desired: &DesiredSet) {
    let p = plan(c, desired, &PlanOptions::default())
        .await
        .expect("plan");
    let report = run(c, &p).await.expect("apply");
    assert!(report.report.succeeded(), "{:?}", report.report.objects);
}

async fn destroy_plan(c: &Cluster, product: &Product, options: &PlanOptions) -> Plan {
    floe::ops::destroy::plan_destroy(c, product, options)
        .await
        .expect("the destroy plan")
}

fn both_flags() -> PlanOptions {
    PlanOptions {
        allow_prune_namespace: true,
        allow_prune_data: true,
        ..PlanOptions::default()
    }
}

/// uid and resourceVersion of every object floe owns for `desired`'s
/// product (the namespace included).
async fn owned(c: &Cluster, desired: &DesiredSet) -> BTreeMap<ObjectKey, (String, String)> {
    let live = observe(c, desired).await.expect("observe");
    live.objects
        .into_iter()
        .map(|(key, body)| (key, identity(&body)))
        .collect()
}

fn identity(body: &serde_json::Value) -> (String, String) {
    let meta = |f: &str| {
        body.pointer(&format!("/metadata/{f}"))
            .and_then(|v| v.as_str())
            .expect("uid and resourceVersion")
            .to_string()
    };
    (meta("uid"), meta("resourceVersion"))
}

/// A ConfigMap made by hand, without floe's labels.
async fn hand_made(namespace: &str, name: &str) -> (String, String) {
    let api: Api<ConfigMap> = Api::namespaced(support::client().await, namespace);
    let cm: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": name}, "data": {"k": "v"}})).unwrap();
    let made = api
        .create(&PostParams::default(), &cm)
        .await
        .expect("a hand-made ConfigMap");
    identity(&serde_json::to_value(made).unwrap())
}

async fn config_identity(namespace: &str, name: &str) -> Option<(String, String)> {
    let api: Api<ConfigMap> = Api::namespaced(support::client().await, namespace);
    let found = api.get_opt(name).await.expect("reading a ConfigMap")?;
    Some(identity(&serde_json::to_value(found).unwrap()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_removes_what_the_product_owns_and_nothing_else() {
    let c = support::floe_cluster().await;
    let (ns_a, ns_b) = (
        support::unique_name("destroy-a"),
        support::unique_name("destroy-b"),
    );
    let a = product("product-a", &ns_a);
    let desired_a = render::render(&a);
    let desired_b = render::render(&product("product-b", &ns_b));
    deploy(&c, &desired_a).await;
    deploy(&c, &desired_b).await;
    let in_a = hand_made(&ns_a, "made-by-hand").await;
    let elsewhere = support::TestNs::new("destroy-elsewhere").await;
    let outside = hand_made(&elsewhere.name, "made-by-hand").await;
    let owned_a = owned(&c, &desired_a).await;
    let owned_b = owned(&c, &desired_b).await;

    let p = destroy_plan(&c, &a, &both_flags()).await;
    assert!(p.blocked.is_empty(), "{:?}", p.blocked);
    assert!(
        p.changes.iter().all(|c| c.action == Action::Delete),
        "a destroy only deletes"
    );
    let namespace_key = ObjectKey::new("", "Namespace", "", &ns_a);
    let planned: Vec<&ObjectKey> = p.changes.iter().map(|c| &c.key).collect();
    let mut expected: Vec<&ObjectKey> = owned_a.keys().filter(|k| **k != namespace_key).collect();
    let mut sorted = planned.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected, "every object A owns but its namespace");
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains(&format!("namespace {ns_a} stays"))
                && w.contains("configmap/made-by-hand")),
        "the plan says why the namespace stays: {:?}",
        p.warnings
    );

    let report = run(&c, &p).await.expect("the destroy runs");
    assert!(report.report.succeeded(), "{:?}", report.report.objects);
    for key in owned_a.keys().filter(|k| **k != namespace_key) {
        assert!(
            read_one(&c, key).await.expect("read").is_none(),
            "{key} is gone"
        );
    }
    assert_eq!(
        owned(&c, &desired_a).await.keys().collect::<Vec<_>>(),
        vec![&namespace_key],
        "A owns nothing but its namespace now"
    );
    assert_eq!(config_identity(&ns_a, "made-by-hand").await, Some(in_a));
    assert_eq!(
        config_identity(&elsewhere.name, "made-by-hand").await,
        Some(outside)
    );
    assert_eq!(owned(&c, &desired_b).await, owned_b, "B is untouched");

    // The namespace stayed, and with it the record of the destroy.
    let history = History::new(&c, &ns_a, "product-a", "dev");
    let latest = history.list().await.expect("history").remove(0);
    assert_eq!(latest.outcome, RevisionOutcome::Succeeded);
    assert!(
        latest.objects.iter().all(|o| o.action == "delete"),
        "{:?}",
        latest.objects
    );
    support::delete_namespace(&ns_a);
    support::delete_namespace(&ns_b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_flags_a_destroy_is_blocked_and_deletes_nothing() {
    let c = support::floe_cluster().await;
    let ns = support::unique_name("destroy-blocked");
    let a = product("product-a", &ns);
    let desired = with_pvc(render::render(&a));
    deploy(&c, &desired).await;
    let before = owned(&c, &desired).await;

    let p = destroy_plan(&c, &a, &PlanOptions::default()).await;
    let flags: BTreeMap<String, String> = p
        .changes
        .iter()
        .filter_map(|c| Some((c.address.clone(), c.requires_flag.clone()?)))
        .collect();
    assert_eq!(
        flags,
        BTreeMap::from([
            (
                format!("namespace/{ns}"),
                "--allow-prune-namespace".to_string()
            ),
            (
                "persistentvolumeclaim/uploads".to_string(),
                "--allow-prune-data".to_string()
            ),
        ]),
        "only the namespace and the data are guarded; no mass-prune guard"
    );
    assert_eq!(p.blocked.len(), 2, "{:?}", p.blocked);
    assert!(matches!(run(&c, &p).await, Err(SessionError::Blocked(_))));
    assert_eq!(owned(&c, &desired).await, before, "nothing was deleted");

    // One flag is not enough.
    let namespace_only = PlanOptions {
        allow_prune_namespace: true,
        ..PlanOptions::default()
    };
    let p = destroy_plan(&c, &a, &namespace_only).await;
    assert!(matches!(run(&c, &p).await, Err(SessionError::Blocked(_))));
    assert_eq!(owned(&c, &desired).await, before, "nothing was deleted");
    support::delete_namespace(&ns);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_left_with_nothing_foreign_is_deleted_last() {
    let c = support::floe_cluster().await;
    let ns = support::unique_name("destroy-clean");
    let a = product("product-a", &ns);
    let desired = with_pvc(render::render(&a));
    deploy(&c, &desired).await;

    let p = destroy_plan(&c, &a, &both_flags()).await;
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let last = p.changes.last().expect("changes");
    assert_eq!(
        last.address,
        format!("namespace/{ns}"),
        "the namespace goes last"
    );
    // The session goes on only once the namespace, and the lock and the
    // revision records in it, are gone: as fast as a namespace controller
    // can be.
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let until_gone = UntilGone {
        address: format!("namespace/{ns}"),
    };
    let report = session::run(&c, &p, &support::session_options(), &until_gone, rx)
        .await
        .expect("the destroy ends well though its lock went with the namespace");
    assert!(report.report.succeeded(), "{:?}", report.report.objects);
    let namespace_key = ObjectKey::new("", "Namespace", "", &ns);
    assert!(read_one(&c, &namespace_key).await.unwrap().is_none());
}

/// Holds the apply, once the change at `address` (a namespace's delete) is
/// done, until that namespace is gone.
struct UntilGone {
    address: String,
}

impl floe::apply::Reporter for UntilGone {
    fn report(&self, event: &floe::apply::Event) {
        let floe::apply::Event::Done { address, .. } = event else {
            return;
        };
        if *address != self.address {
            return;
        }
        let key = ObjectKey::new(
            "",
            "Namespace",
            "",
            address.trim_start_matches("namespace/"),
        );
        // The reporter is called from inside the apply: wait on a runtime
        // of its own.
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let c = support::floe_cluster().await;
                support::eventually("the namespace is gone", support::TIMEOUT, || {
                    let (c, key) = (&c, &key);
                    async move {
                        match read_one(c, key).await.map_err(|e| e.to_string())? {
                            None => Ok(()),
                            Some(_) => Err("still there".to_string()),
                        }
                    }
                })
                .await
            })
        })
        .join()
        .expect("waiting for the namespace");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_goes_ahead_when_only_the_status_moved_since_the_plan() {
    let c = support::floe_cluster().await;
    let ns = support::unique_name("destroy-status");
    let a = product("product-a", &ns);
    let desired = render::render(&a);
    deploy(&c, &desired).await;
    let p = destroy_plan(&c, &a, &both_flags()).await;
    let quota = p
        .changes
        .iter()
        .find(|c| c.key.kind == "ResourceQuota")
        .expect("the quota is in the destroy plan");

    // Just before its delete, the status moves, as the quota controller
    // moves it while the pods it counts go.
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let moves_status = StatusMove {
        address: quota.address.clone(),
        namespace: ns.clone(),
    };
    let report = session::run(&c, &p, &support::session_options(), &moves_status, rx)
        .await
        .expect("the destroy runs");
    assert!(report.report.succeeded(), "{:?}", report.report.objects);
    assert!(read_one(&c, &quota.key).await.unwrap().is_none());
}

/// Writes the status of the ResourceQuota at `address` when its change
/// starts.
struct StatusMove {
    address: String,
    namespace: String,
}

impl floe::apply::Reporter for StatusMove {
    fn report(&self, event: &floe::apply::Event) {
        let floe::apply::Event::Started { address, .. } = event else {
            return;
        };
        if *address != self.address {
            return;
        }
        let patched = std::process::Command::new("kubectl")
            .args(["-n", &self.namespace, "patch", address])
            .args(["--subresource=status", "--type=merge"])
            .args(["-p", r#"{"status":{"used":{"pods":"7"}}}"#])
            .env("KUBECONFIG", support::kubeconfig_path())
            .output()
            .expect("kubectl");
        assert!(patched.status.success(), "{patched:?}");
    }
}
