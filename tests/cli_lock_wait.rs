//! The apply lock as a second apply meets it: a lease left by a process
//! that died on this machine is taken over at once, with a notice; a live
//! holder is waited for with a countdown until `--lock-timeout`.

mod support;

use floe::state::{holder, LOCK_NAME};
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, PostParams};
use serde_json::json;
use std::process::Command;
use std::time::{Duration, Instant};

/// A deployed product with one change pending (a deleted ConfigMap), so
/// the next deploy takes the lock.
async fn deployed_with_a_change(prefix: &str) -> (std::path::PathBuf, String) {
    support::client().await;
    let ns = support::unique_name(prefix);
    let dir = std::env::temp_dir().join(&ns);
    support::minimal_product_in(&dir, &ns);
    let out = support::floe(&["deploy", dir.to_str().unwrap(), "--env", "dev", "-y"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deleted = Command::new("kubectl")
        .args(["delete", "configmap", "floe-platform", "-n", &ns])
        .env("KUBECONFIG", support::kubeconfig_path())
        .status()
        .unwrap();
    assert!(deleted.success());
    (dir, ns)
}

/// A lease renewed just now by `pid` on `machine`.
async fn plant_lease(ns: &str, machine: &str, pid: u32) -> Lease {
    let c = support::floe_cluster().await;
    let leases: Api<Lease> = Api::namespaced(c.client.clone(), ns);
    let now = k8s_openapi::jiff::Timestamp::now().to_string();
    let lease: Lease = serde_json::from_value(json!({
        "metadata": {"name": LOCK_NAME, "annotations": {
            holder::ANNOTATION_MACHINE: machine,
            holder::ANNOTATION_PID: pid.to_string(),
        }},
        "spec": {"holderIdentity": format!("{} (pid {pid})", floe::state::local_user()),
                 "leaseDurationSeconds": 60, "acquireTime": now, "renewTime": now}
    }))
    .unwrap();
    leases.create(&PostParams::default(), &lease).await.unwrap()
}

async fn lease(ns: &str) -> Option<Lease> {
    let c = support::floe_cluster().await;
    let leases: Api<Lease> = Api::namespaced(c.client.clone(), ns);
    leases.get_opt(LOCK_NAME).await.unwrap()
}

async fn configmap_exists(ns: &str) -> bool {
    let c = support::floe_cluster().await;
    let cms: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::namespaced(c.client.clone(), ns);
    cms.get_opt("floe-platform").await.unwrap().is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_left_by_a_dead_process_on_this_machine_is_taken_over() {
    let (dir, ns) = deployed_with_a_change("lock-dead").await;
    let mut gone = Command::new("true").spawn().unwrap();
    gone.wait().unwrap();
    let machine = holder::machine().expect("this machine has /proc");
    plant_lease(&ns, &machine, gone.id()).await;
    let started = Instant::now();
    let out = support::floe(&["deploy", dir.to_str().unwrap(), "--env", "dev", "-y"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("Took over the lock from")
            && stderr.contains(&format!("(pid {})", gone.id())),
        "{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert!(configmap_exists(&ns).await, "the change was applied");
    assert!(lease(&ns).await.is_none(), "the lock was released");
    support::delete_namespace(&ns);
}

async fn a_live_holder_is_waited_for(machine: &str, pid: u32) {
    let (dir, ns) = deployed_with_a_change("lock-live").await;
    let planted = plant_lease(&ns, machine, pid).await;
    let started = Instant::now();
    let out = support::floe(&[
        "deploy",
        dir.to_str().unwrap(),
        "--env",
        "dev",
        "-y",
        "--lock-timeout",
        "4",
    ]);
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Waiting for the lock held by"), "{stderr}");
    assert!(stderr.contains("giving up in"), "{stderr}");
    assert!(
        stderr.contains("is locked") || stderr.contains("lock"),
        "{stderr}"
    );
    assert!(elapsed >= Duration::from_secs(4), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(25), "{elapsed:?}");
    let now = lease(&ns).await.expect("the holder keeps its lease");
    assert_eq!(
        now.metadata.resource_version,
        planted.metadata.resource_version
    );
    assert!(!configmap_exists(&ns).await, "nothing was applied");
    support::delete_namespace(&ns);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_holder_on_this_machine_is_waited_for_then_refused() {
    let machine = holder::machine().expect("this machine has /proc");
    a_live_holder_is_waited_for(&machine, std::process::id()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_on_another_machine_is_waited_for_then_refused() {
    let mut gone = Command::new("true").spawn().unwrap();
    gone.wait().unwrap();
    a_live_holder_is_waited_for("another-boot/pid:[1]", gone.id()).await;
}
