//! Data is never destroyed without its flag: a replace of a
//! PersistentVolumeClaim is guarded like its prune, the apply engine refuses
//! a plan that holds a guarded change whoever calls it, and the `--atomic`
//! way back is refused when it would destroy data the apply was not allowed
//! to destroy. Against the real local control plane; each test asserts on
//! what the cluster holds afterwards (uid, resourceVersion).

mod support;

use floe::apply::session::{self, SessionError, SessionOptions};
use floe::apply::Silent;
use floe::model::{self, Environment};
use floe::plan::compute::{plan, PlanOptions};
use floe::plan::{Action, Plan};
use floe::render::{self, DesiredSet};
use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use kube::api::Api;
use serde_json::json;
use std::path::Path;

const PVC: &str = "uploads";

/// examples/minimal in a namespace of its own.
fn minimal(prefix: &str) -> DesiredSet {
    minimal_in(&support::unique_name(prefix))
}

/// `desired` plus a PVC floe owns, with `access_mode` (immutable once created).
fn with_pvc(desired: DesiredSet, access_mode: &str) -> DesiredSet {
    support::with_owned_pvc(desired, PVC, access_mode)
}

/// Plans and applies `desired`, which must succeed.
async fn deploy(c: &floe::cluster::Cluster, desired: &DesiredSet) {
    let p = plan(c, desired, &PlanOptions::default())
        .await
        .expect("plan");
    let report = apply(c, &p, &support::session_options())
        .await
        .expect("apply");
    assert!(report.report.succeeded(), "{:?}", report.report.objects);
}

async fn apply(
    c: &floe::cluster::Cluster,
    p: &Plan,
    opts: &SessionOptions,
) -> Result<session::SessionReport, SessionError> {
    let (_tx, rx) = tokio::sync::watch::channel(false);
    session::run(c, p, opts, &Silent, rx).await
}

/// The PVC's uid and resourceVersion, or `None` when it is gone.
async fn pvc_identity(namespace: &str) -> Option<(String, String)> {
    let api: Api<PersistentVolumeClaim> = Api::namespaced(support::client().await, namespace);
    let pvc = api.get_opt(PVC).await.expect("reading the PVC")?;
    Some((
        pvc.metadata.uid.expect("a uid"),
        pvc.metadata.resource_version.expect("a resourceVersion"),
    ))
}

fn change_of<'a>(p: &'a Plan, kind: &str, name: &str) -> &'a floe::plan::Change {
    p.changes
        .iter()
        .find(|c| c.key.kind == kind && c.key.name == name)
        .unwrap_or_else(|| panic!("{kind}/{name} is not in the plan"))
}

fn cleanup(ns: &str) {
    let _ = std::process::Command::new("kubectl")
        .args(["delete", "namespace", ns, "--wait=false"])
        .env("KUBECONFIG", support::kubeconfig_path())
        .output();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pvc_replace_needs_the_data_flag_and_is_not_applied_without_it() {
    let c = support::floe_cluster().await;
    let first = with_pvc(minimal("guard-replace"), "ReadWriteOnce");
    let ns = first.namespace.clone();
    deploy(&c, &first).await;
    let before = pvc_identity(&ns).await.expect("the PVC exists");

    // accessModes cannot change in place: the PVC would be deleted and
    // created again, and its volume with it.
    let changed = with_pvc(minimal_in(&ns), "ReadOnlyMany");
    let guarded = plan(&c, &changed, &PlanOptions::default())
        .await
        .expect("plan");
    let pvc = change_of(&guarded, "PersistentVolumeClaim", PVC);
    assert_eq!(pvc.action, Action::Replace, "{pvc:?}");
    assert_eq!(pvc.requires_flag.as_deref(), Some("--allow-prune-data"));
    assert!(
        guarded.blocked.iter().any(
            |b| b.contains("persistentvolumeclaim/uploads") && b.contains("--allow-prune-data")
        ),
        "{:?}",
        guarded.blocked
    );
    match apply(&c, &guarded, &support::session_options()).await {
        Err(SessionError::Blocked(what)) => assert!(what.join(" ").contains("--allow-prune-data")),
        other => panic!("a guarded replace must be refused, got {other:?}"),
    }
    assert_eq!(
        pvc_identity(&ns).await,
        Some(before.clone()),
        "nothing touched the PVC"
    );

    // A plan that held the flag back cannot be made to pass by clearing
    // the list a person reads: the change itself still carries its flag.
    let mut edited = guarded.clone();
    edited.blocked.clear();
    assert!(matches!(
        apply(&c, &edited, &support::session_options()).await,
        Err(SessionError::Blocked(_))
    ));
    assert_eq!(pvc_identity(&ns).await, Some(before));

    let allowed = PlanOptions {
        allow_prune_data: true,
        ..PlanOptions::default()
    };
    let with_flag = plan(&c, &changed, &allowed).await.expect("plan");
    assert!(with_flag.blocked.is_empty(), "{:?}", with_flag.blocked);
    assert_eq!(
        change_of(&with_flag, "PersistentVolumeClaim", PVC).requires_flag,
        None
    );
    cleanup(&ns);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn atomic_refuses_a_way_back_that_would_destroy_data() {
    let c = support::floe_cluster().await;
    let good = minimal("guard-atomic");
    let ns = good.namespace.clone();
    let p = plan(&c, &good, &PlanOptions::default())
        .await
        .expect("plan");
    let first = apply(&c, &p, &support::session_options())
        .await
        .expect("first apply");
    assert!(first.report.succeeded(), "{:?}", first.report.objects);

    // The next apply adds a PVC, then fails on the Deployment: going back
    // to the first revision would destroy the new PVC.
    let broken = support::with_fault(
        with_pvc(minimal_in(&ns), "ReadWriteOnce"),
        "code-location",
        "image-pull-backoff",
    );
    let p = plan(&c, &broken, &PlanOptions::default())
        .await
        .expect("plan");
    let opts = SessionOptions {
        atomic: true,
        ..support::session_options()
    };
    let second = apply(&c, &p, &opts).await.expect("the apply runs");
    assert!(!second.report.succeeded());
    let (back_to, result) = second.rollback.as_ref().expect("--atomic tries to go back");
    assert_eq!(*back_to, first.revision);
    let refusal = result.as_ref().expect_err("the way back is refused");
    assert!(refusal.contains("--allow-prune-data"), "{refusal}");
    assert!(
        pvc_identity(&ns).await.is_some(),
        "the PVC the failed apply created is still there"
    );
    cleanup(&ns);
}

/// examples/minimal rendered again into an existing test namespace.
fn minimal_in(namespace: &str) -> DesiredSet {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/minimal");
    let mut product = model::load(&dir, Environment::Dev, None).expect("example loads");
    product.settings.namespace.name = Some(namespace.to_string());
    render::render(&product)
}

/// Turns `cancel` true (Ctrl-C) as soon as the change at `address` starts.
struct CancelAt {
    address: String,
    cancel: tokio::sync::watch::Sender<bool>,
}

impl floe::apply::Reporter for CancelAt {
    fn report(&self, event: &floe::apply::Event) {
        if let floe::apply::Event::Started { address, .. } = event {
            if *address == self.address {
                let _ = self.cancel.send(true);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replace_interrupted_after_its_delete_still_creates_the_object() {
    let c = support::floe_cluster().await;
    let first = with_pvc(minimal("guard-interrupt"), "ReadWriteOnce");
    let ns = first.namespace.clone();
    deploy(&c, &first).await;
    let (old_uid, _) = pvc_identity(&ns).await.expect("the PVC exists");

    let allowed = PlanOptions {
        allow_prune_data: true,
        ..PlanOptions::default()
    };
    let changed = with_pvc(minimal_in(&ns), "ReadOnlyMany");
    let p = plan(&c, &changed, &allowed).await.expect("plan");
    assert_eq!(
        change_of(&p, "PersistentVolumeClaim", PVC).action,
        Action::Replace
    );
    let (tx, rx) = tokio::sync::watch::channel(false);
    let reporter = CancelAt {
        address: format!("persistentvolumeclaim/{PVC}"),
        cancel: tx,
    };
    let report = session::run(&c, &p, &support::session_options(), &reporter, rx)
        .await
        .expect("the session runs");
    assert!(report.report.interrupted, "the apply was interrupted");
    let (new_uid, _) = pvc_identity(&ns)
        .await
        .expect("the replaced PVC was created again, not left deleted");
    assert_ne!(new_uid, old_uid, "it is the new object");
    cleanup(&ns);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_of_an_object_that_changed_since_the_plan_is_refused() {
    let c = support::floe_cluster().await;
    let first = minimal("guard-precondition");
    let ns = first.namespace.clone();
    deploy(&c, &first).await;

    // The next plan prunes the Service...
    let mut without_service = minimal_in(&ns);
    without_service.objects.retain(|o| o.kind != "Service");
    let prune = plan(&c, &without_service, &PlanOptions::default())
        .await
        .expect("plan");
    let delete = change_of(&prune, "Service", "code-location");
    assert_eq!(delete.action, Action::Delete);
    assert!(delete.live_uid.is_some() && delete.live_resource_version.is_some());

    // ...but someone changes it before the apply.
    let services: Api<k8s_openapi::api::core::v1::Service> =
        Api::namespaced(support::client().await, &ns);
    let patch = json!({"metadata": {"annotations": {"example.com/owner": "someone-else"}}});
    let changed = services
        .patch(
            "code-location",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&patch),
        )
        .await
        .expect("another change");
    // The session's check under the lock refuses the whole plan...
    let refused = apply(&c, &prune, &support::session_options()).await;
    assert!(
        matches!(refused, Err(SessionError::Stale(_))),
        "the session must refuse a plan whose objects moved"
    );
    // ...and the engine's delete preconditions hold for a change that lands
    // after that check (here: the engine called without it).
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let options = support::session_options().apply;
    let report = floe::apply::apply(&c, &prune, &options, &Silent, rx).await;
    match report
        .objects
        .iter()
        .find(|o| o.address == "service/code-location")
        .map(|o| &o.outcome)
    {
        Some(floe::apply::ObjectResult::Failed { reason, .. }) => {
            assert!(reason.contains("changed since the plan"), "{reason}")
        }
        other => panic!("the delete must be refused, got {other:?}"),
    }
    let now = services
        .get("code-location")
        .await
        .expect("the Service is still there");
    assert_eq!(now.metadata.uid, changed.metadata.uid);
    assert_eq!(
        now.metadata.resource_version,
        changed.metadata.resource_version
    );
    cleanup(&ns);
}
