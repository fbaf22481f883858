//! Kwok's failure stages, selected with the pod label
//! `floe.dev/test-fault`, put a pod into the state a test asks for.
//! Needs the test cluster (`bash scripts/test.sh` starts one).

mod support;

use std::time::Duration;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use serde_json::{json, Value};
use support::{always, condition, pod_phase, pod_ready, waiting_reason, TestNs, FAULT_LABEL};

fn faulty_pod(name: &str, fault: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {FAULT_LABEL: fault}},
        "spec": {"containers": [TestNs::container("app")]},
    })
}

#[tokio::test]
async fn image_pull_backoff_fault_keeps_the_pod_waiting() {
    let ns = TestNs::new("fault-image").await;
    ns.create::<Pod>(faulty_pod("p", "image-pull-backoff"))
        .await;
    ns.wait_for::<Pod>("p", "waiting with ImagePullBackOff", |p| {
        waiting_reason(p) == Some("ImagePullBackOff")
    })
    .await;
    let pods = ns.api::<Pod>();
    always(
        "the pod to stay Pending and not Ready",
        Duration::from_secs(3),
        || {
            let pods = pods.clone();
            async move {
                let p = pods.get("p").await.map_err(|e| e.to_string())?;
                match (pod_phase(&p), pod_ready(&p), waiting_reason(&p)) {
                    ("Pending", false, Some("ImagePullBackOff")) => Ok(()),
                    other => Err(format!("{other:?}")),
                }
            }
        },
    )
    .await;
}

#[tokio::test]
async fn crash_loop_fault_restarts_the_container() {
    let ns = TestNs::new("fault-crash").await;
    ns.create::<Pod>(faulty_pod("p", "crash-loop")).await;
    let restarts = |p: &Pod| {
        p.status
            .as_ref()
            .and_then(|s| s.container_statuses.as_ref())
            .and_then(|c| c.first())
            .map_or(0, |c| c.restart_count)
    };
    let p = ns
        .wait_for::<Pod>("p", "waiting with CrashLoopBackOff", |p| {
            waiting_reason(p) == Some("CrashLoopBackOff")
        })
        .await;
    assert!(!pod_ready(&p));
    let first = restarts(&p);
    assert!(first >= 1, "a crash-looping container has restarted");
    let last = p
        .status
        .as_ref()
        .unwrap()
        .container_statuses
        .as_ref()
        .unwrap()[0]
        .last_state
        .clone();
    let exit = last.and_then(|s| s.terminated).map(|t| t.exit_code);
    assert_eq!(exit, Some(1), "last state is a failed run");
    // The loop goes on: the restart count grows.
    ns.wait_for::<Pod>("p", "restart count to grow", |p| {
        restarts(p) > first && waiting_reason(p) == Some("CrashLoopBackOff")
    })
    .await;
}

#[tokio::test]
async fn never_ready_fault_runs_without_becoming_ready() {
    let ns = TestNs::new("fault-ready").await;
    ns.create::<Pod>(faulty_pod("p", "never-ready")).await;
    ns.wait_for::<Pod>("p", "Running", |p| pod_phase(p) == "Running")
        .await;
    let pods = ns.api::<Pod>();
    always(
        "the pod to run but stay unready",
        Duration::from_secs(5),
        || {
            let pods = pods.clone();
            async move {
                let p = pods.get("p").await.map_err(|e| e.to_string())?;
                let running = p
                    .status
                    .as_ref()
                    .and_then(|s| s.container_statuses.as_ref())
                    .is_some_and(|c| {
                        c.iter().all(|c| {
                            c.state.as_ref().and_then(|s| s.running.as_ref()).is_some() && !c.ready
                        })
                    });
                if pod_phase(&p) == "Running"
                    && running
                    && condition(&p, "Ready").as_deref() == Some("False")
                {
                    Ok(())
                } else {
                    Err(support::status_of(&p))
                }
            }
        },
    )
    .await;
}

#[tokio::test]
async fn job_fail_fault_fails_the_job() {
    let ns = TestNs::new("fault-job").await;
    ns.create::<Job>(json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "dbt-run"},
        "spec": {
            "backoffLimit": 0,
            "template": {
                "metadata": {"labels": {"app": "dbt-run", FAULT_LABEL: "job-fail"}},
                "spec": {"restartPolicy": "Never", "containers": [TestNs::container("run")]},
            },
        },
    }))
    .await;
    let job = ns
        .wait_for::<Job>("dbt-run", "Failed", |j| {
            condition(j, "Failed").as_deref() == Some("True")
        })
        .await;
    let status = job.status.unwrap();
    assert_eq!(status.failed, Some(1));
    assert_eq!(status.succeeded.unwrap_or(0), 0);
    let pods = ns
        .wait_for_pods("app=dbt-run", "one Failed pod", |ps| {
            ps.len() == 1 && pod_phase(&ps[0]) == "Failed"
        })
        .await;
    let term = pods[0]
        .status
        .as_ref()
        .unwrap()
        .container_statuses
        .as_ref()
        .unwrap()[0]
        .state
        .as_ref()
        .and_then(|s| s.terminated.clone())
        .expect("container terminated");
    assert_eq!((term.exit_code, term.reason.as_deref()), (1, Some("Error")));
}
