//! One writer: an apply that loses its lock (another process takes the
//! Lease) stops within one renewal period, records its revision as
//! lock-lost and fails. Against the real local control plane.

mod support;

use floe::apply::session::{self, SessionError, SessionOptions};
use floe::apply::{ApplyOptions, Silent};
use floe::model::{self, Environment};
use floe::plan::compute::{plan, PlanOptions};
use floe::render;
use floe::state::{History, RevisionOutcome, StateError, LOCK_NAME};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, PostParams};
use std::path::Path;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_that_loses_its_lock_stops_within_one_renewal() {
    let c = support::floe_cluster().await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/minimal");
    let mut product = model::load(&dir, Environment::Dev, None).expect("example loads");
    product.settings.namespace.name = Some(support::unique_name("lock-lost"));
    // Its pods never start: without losing the lock the apply would wait a minute.
    let desired = support::with_fault(
        render::render(&product),
        "code-location",
        "image-pull-backoff",
    );
    let ns = desired.namespace.clone();
    let p = plan(&c, &desired, &PlanOptions::default())
        .await
        .expect("plan");
    let ttl = Duration::from_secs(3);
    let options = SessionOptions {
        apply: ApplyOptions {
            object_timeout: Duration::from_secs(60),
            fail_fast_after: Duration::from_secs(60),
            ..ApplyOptions::default()
        },
        source: "test".into(),
        lock_ttl: ttl,
        ..SessionOptions::default()
    };
    let intruder = tokio::spawn(take_the_lease_once_deploying(ns.clone()));
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let result = session::run(&c, &p, &options, &Silent, rx).await;
    let taken_at = intruder.await.expect("the intruder ran");
    match result {
        Err(SessionError::State(StateError::LockLost { holder, .. })) => {
            assert_eq!(holder, "mallory@elsewhere (pid 7)")
        }
        other => panic!("the apply must fail on losing its lock, got {other:?}"),
    }
    let stopped_after = taken_at.elapsed();
    assert!(
        stopped_after < ttl + Duration::from_secs(2),
        "stopped {stopped_after:?} after the takeover; one renewal period is {:?}",
        ttl / 3
    );
    let history = History::new(&c, &ns, &desired.product, "dev");
    let revisions = history.list().await.expect("history");
    assert_eq!(revisions[0].outcome, RevisionOutcome::LockLost);
    let leases: Api<Lease> = Api::namespaced(support::client().await, &ns);
    let lease = leases
        .get(LOCK_NAME)
        .await
        .expect("the intruder's lease stays");
    assert_eq!(
        lease.spec.and_then(|s| s.holder_identity).as_deref(),
        Some("mallory@elsewhere (pid 7)"),
        "floe did not delete the lease it lost"
    );
    let _ = std::process::Command::new("kubectl")
        .args(["delete", "namespace", &ns, "--wait=false"])
        .env("KUBECONFIG", support::kubeconfig_path())
        .output();
}

/// Once the Deployment is being applied, rewrites the Lease to another
/// holder (what a second floe would do after a takeover); returns when.
async fn take_the_lease_once_deploying(namespace: String) -> Instant {
    let client = support::client().await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &namespace);
    let leases: Api<Lease> = Api::namespaced(client, &namespace);
    let lease = support::eventually(
        "the apply to reach the Deployment",
        support::TIMEOUT,
        || {
            let (deployments, leases) = (deployments.clone(), leases.clone());
            async move {
                let listed = deployments.list(&Default::default()).await;
                let deploying = listed.is_ok_and(|l| !l.items.is_empty());
                match leases.get_opt(LOCK_NAME).await {
                    Ok(Some(lease)) if deploying => Ok(lease),
                    other => Err(format!("deploying: {deploying}, lease: {other:?}")),
                }
            }
        },
    )
    .await;
    let mut taken = lease;
    if let Some(spec) = taken.spec.as_mut() {
        spec.holder_identity = Some("mallory@elsewhere (pid 7)".into());
    }
    leases
        .replace(LOCK_NAME, &PostParams::default(), &taken)
        .await
        .expect("taking the lease");
    Instant::now()
}
