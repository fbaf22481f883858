//! `floe apply` against the real local control plane: fresh deploys, updates,
//! idempotence, every failure stage of the local cluster with its diagnosis,
//! stale saved plans, the lock, and `--atomic`.

mod support;

use floe::apply::session::{self, SessionOptions, SessionReport};
use floe::apply::{ObjectResult, Silent};
use floe::model::{self, Environment, Product};
use floe::plan::compute::{plan, PlanOptions};
use floe::plan::fresh::{check_fresh, StaleError};
use floe::plan::Plan;
use floe::render::{self, DesiredSet};
use floe::state::{History, RevisionOutcome, StateError};
use serde_json::json;
use std::path::Path;
use std::time::Duration;

fn product(example: &str, env: Environment, prefix: &str) -> Product {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(example);
    let mut p = model::load(&dir, env, None).expect("example loads");
    p.settings.namespace.name = Some(support::unique_name(prefix));
    p
}

async fn deploy(
    c: &floe::cluster::Cluster,
    desired: &DesiredSet,
    opts: &SessionOptions,
) -> (Plan, SessionReport) {
    let p = plan(c, desired, &PlanOptions::default())
        .await
        .expect("plan");
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let report = session::run(c, &p, opts, &Silent, rx)
        .await
        .expect("apply session");
    (p, report)
}

fn outcome<'a>(report: &'a SessionReport, address: &str) -> &'a ObjectResult {
    &report
        .report
        .objects
        .iter()
        .find(|o| o.address == address)
        .unwrap_or_else(|| {
            panic!(
                "{address} is not in the report: {:#?}",
                report.report.objects
            )
        })
        .outcome
}

fn failed_text(report: &SessionReport, address: &str) -> String {
    match outcome(report, address) {
        ObjectResult::Failed { reason, diagnosis } => format!("{reason}\n{}", diagnosis.join("\n")),
        other => panic!("{address} should have failed, got {other:?}"),
    }
}

fn assert_skipped_because(report: &SessionReport, address: &str, failed: &str) {
    match outcome(report, address) {
        ObjectResult::Skipped { reason } => assert!(
            reason.contains(failed),
            "{address} skipped for the wrong reason: {reason}"
        ),
        other => panic!("{address} should have been skipped, got {other:?}"),
    }
}

fn cleanup(ns: &str) {
    let _ = std::process::Command::new("kubectl")
        .args(["delete", "namespace", ns, "--wait=false"])
        .env("KUBECONFIG", support::kubeconfig_path())
        .output();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_deploy_is_ready_and_a_second_apply_changes_nothing() {
    let c = support::floe_cluster().await;
    for env in Environment::ALL {
        let p = product("minimal", env, &format!("apply-fresh-{env}"));
        let desired = render::render(&p);
        let (_, report) = deploy(&c, &desired, &support::session_options()).await;
        assert!(
            report.report.succeeded(),
            "{env}: {:#?}",
            report.report.objects
        );
        assert!(
            matches!(outcome(&report, "deployment/code-location"), ObjectResult::Done { note, .. } if note.contains("ready"))
        );
        assert!(
            matches!(outcome(&report, "job/dbt-run"), ObjectResult::Done { note, .. } if note.contains("ready"))
        );
        assert!(
            matches!(outcome(&report, "service/code-location"), ObjectResult::Done { note, .. } if note.contains("endpoint(s) ready") && !note.contains(" 0 endpoint")),
            "the Service waits for its endpoints: {:?}",
            outcome(&report, "service/code-location")
        );

        let again = plan(&c, &desired, &PlanOptions::default()).await.unwrap();
        assert!(!again.has_changes(), "{env}: second plan must be empty");
        let history = History::new(&c, &desired.namespace, &desired.product, env.as_str());
        let revisions = history.list().await.unwrap();
        assert_eq!(revisions.len(), 1);
        assert_eq!(revisions[0].outcome, RevisionOutcome::Succeeded);
        cleanup(&desired.namespace);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_update_rolls_the_deployment() {
    let c = support::floe_cluster().await;
    let mut p = product("minimal", Environment::Dev, "apply-roll");
    let (_, first) = deploy(&c, &render::render(&p), &support::session_options()).await;
    assert!(first.report.succeeded());
    p.image_override = Some("registry.example.com/acme/customer-analytics:1.0.1".into());
    let desired = render::render(&p);
    let (planned, second) = deploy(&c, &desired, &support::session_options()).await;
    assert!(second.report.succeeded(), "{:#?}", second.report.objects);
    assert!(planned
        .changes
        .iter()
        .any(|ch| ch.address == "deployment/code-location"
            && ch.action == floe::plan::Action::Update));

    let client = support::client().await;
    let api: kube::Api<k8s_openapi::api::apps::v1::Deployment> =
        kube::Api::namespaced(client.clone(), &desired.namespace);
    let d = api.get("code-location").await.unwrap();
    let image = d.spec.unwrap().template.spec.unwrap().containers[0]
        .image
        .clone()
        .unwrap();
    assert_eq!(image, "registry.example.com/acme/customer-analytics:1.0.1");
    let status = d.status.unwrap();
    assert_eq!(status.updated_replicas, Some(1));
    let rs: kube::Api<k8s_openapi::api::apps::v1::ReplicaSet> =
        kube::Api::namespaced(client, &desired.namespace);
    let sets = rs.list(&Default::default()).await.unwrap();
    assert!(
        sets.items.len() >= 2,
        "a rollout leaves the old ReplicaSet behind"
    );
    cleanup(&desired.namespace);
}

/// One failure stage and what the report must say.
async fn failing_deploy(
    prefix: &str,
    workload: &str,
    fault: &str,
    opts: SessionOptions,
) -> (DesiredSet, SessionReport) {
    let c = support::floe_cluster().await;
    let p = product("minimal", Environment::Dev, prefix);
    let desired = support::with_fault(render::render(&p), workload, fault);
    let (_, report) = deploy(&c, &desired, &opts).await;
    assert!(!report.report.succeeded(), "{fault}: the apply must fail");
    let history = History::new(&c, &desired.namespace, &desired.product, "dev");
    let revisions = history.list().await.unwrap();
    assert_eq!(
        revisions[0].outcome,
        RevisionOutcome::Failed,
        "a failed apply still records its revision"
    );
    (desired, report)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_pull_failure_is_diagnosed_and_dependents_skipped() {
    let (desired, report) = failing_deploy(
        "apply-pull",
        "code-location",
        "image-pull-backoff",
        support::session_options(),
    )
    .await;
    let text = failed_text(&report, "deployment/code-location");
    assert!(
        text.contains("ImagePullBackOff"),
        "diagnosis must name the cause: {text}"
    );
    assert_skipped_because(&report, "service/code-location", "deployment/code-location");
    cleanup(&desired.namespace);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_loop_is_diagnosed() {
    let (desired, report) = failing_deploy(
        "apply-crash",
        "code-location",
        "crash-loop",
        support::session_options(),
    )
    .await;
    let text = failed_text(&report, "deployment/code-location");
    assert!(
        text.contains("CrashLoopBackOff"),
        "diagnosis must name the cause: {text}"
    );
    assert_skipped_because(&report, "service/code-location", "deployment/code-location");
    cleanup(&desired.namespace);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_ready_times_out_with_the_probe_named() {
    let mut opts = support::session_options();
    opts.apply.object_timeout = Duration::from_secs(12);
    let (desired, report) =
        failing_deploy("apply-unready", "code-location", "never-ready", opts).await;
    let text = failed_text(&report, "deployment/code-location");
    assert!(text.contains("not ready before the timeout"), "{text}");
    assert!(
        text.contains("not ready") && text.contains("readiness"),
        "diagnosis must name the failing readiness: {text}"
    );
    assert_skipped_because(&report, "service/code-location", "deployment/code-location");
    cleanup(&desired.namespace);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_failure_is_diagnosed() {
    let (desired, report) = failing_deploy(
        "apply-jobfail",
        "dbt-run",
        "job-fail",
        support::session_options(),
    )
    .await;
    let text = failed_text(&report, "job/dbt-run");
    assert!(text.contains("BackoffLimitExceeded"), "{text}");
    assert!(
        text.contains("exited with code") || text.contains("exit code"),
        "diagnosis must give the exit code: {text}"
    );
    cleanup(&desired.namespace);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unschedulable_pod_is_diagnosed_with_the_schedulers_message() {
    let c = support::floe_cluster().await;
    let mut p = product("minimal", Environment::Dev, "apply-unsched");
    let w = p.settings.workloads.get_mut("code-location").unwrap();
    w.node_selector
        .insert("floe.dev/pool".into(), "does-not-exist".into());
    let desired = render::render(&p);
    let (_, report) = deploy(&c, &desired, &support::session_options()).await;
    assert!(!report.report.succeeded());
    let text = failed_text(&report, "deployment/code-location");
    assert!(text.contains("Unschedulable"), "{text}");
    assert!(
        text.contains("node") && (text.contains("selector") || text.contains("affinity")),
        "the scheduler's message: {text}"
    );
    assert_skipped_because(&report, "service/code-location", "deployment/code-location");
    cleanup(&desired.namespace);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_rejection_is_diagnosed() {
    let c = support::floe_cluster().await;
    let mut p = product("minimal", Environment::Dev, "apply-quota");
    // Rendering does not validate, so the quota can be made too small here
    // on purpose; admission then refuses the pods.
    p.settings.namespace.quota = Some(floe::model::settings::QuotaSettings {
        cpu: Some(floe::model::platform::Quantityish::Text("50m".into())),
        ..Default::default()
    });
    let desired = render::render(&p);
    let (_, report) = deploy(&c, &desired, &support::session_options()).await;
    assert!(!report.report.succeeded());
    let text = failed_text(&report, "deployment/code-location");
    assert!(text.contains("exceeded quota"), "{text}");
    cleanup(&desired.namespace);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_saved_plan_is_refused() {
    let c = support::floe_cluster().await;
    let p = product("minimal", Environment::Dev, "apply-stale");
    let desired = render::render(&p);
    let (_, first) = deploy(&c, &desired, &support::session_options()).await;
    assert!(first.report.succeeded());
    let mut edited = p.clone();
    edited
        .settings
        .workloads
        .get_mut("code-location")
        .unwrap()
        .replicas = Some(2);
    let saved = plan(&c, &render::render(&edited), &PlanOptions::default())
        .await
        .unwrap();
    check_fresh(&c, &saved)
        .await
        .expect("fresh right after planning");

    // Someone else changes the cluster between plan and apply.
    let out = std::process::Command::new("kubectl")
        .args([
            "-n",
            &desired.namespace,
            "label",
            "configmap/floe-platform",
            "touched=yes",
        ])
        .env("KUBECONFIG", support::kubeconfig_path())
        .output()
        .unwrap();
    assert!(out.status.success());
    match check_fresh(&c, &saved).await {
        Err(StaleError::Moved(what)) => assert!(
            what.iter().any(|w| w.contains("configmap/floe-platform")),
            "{what:?}"
        ),
        other => panic!("a moved cluster must refuse the plan, got {other:?}"),
    }
    cleanup(&desired.namespace);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_concurrent_applies_exactly_one_runs() {
    let c = support::floe_cluster().await;
    let p = product("minimal", Environment::Dev, "apply-lock");
    let desired = render::render(&p);
    let planned = plan(&c, &desired, &PlanOptions::default()).await.unwrap();
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let opts = support::session_options();
    let (a, b) = tokio::join!(
        session::run(&c, &planned, &opts, &Silent, rx.clone()),
        session::run(&c, &planned, &opts, &Silent, rx.clone())
    );
    let results = [a, b];
    let ran = results.iter().filter(|r| r.is_ok()).count();
    let locked: Vec<String> = results
        .iter()
        .filter_map(|r| match r {
            Err(session::SessionError::State(e @ StateError::Locked { .. })) => Some(e.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(ran, 1, "exactly one apply runs");
    assert_eq!(locked.len(), 1, "the other fails at once on the lock");
    assert!(
        locked[0].contains("pid"),
        "the error names the holder: {}",
        locked[0]
    );
    cleanup(&desired.namespace);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn atomic_restores_the_previous_revision_after_a_failure() {
    let c = support::floe_cluster().await;
    let p = product("minimal", Environment::Dev, "apply-atomic");
    let good = render::render(&p);
    let (_, first) = deploy(&c, &good, &support::session_options()).await;
    assert!(first.report.succeeded());

    let mut broken_product = p.clone();
    broken_product.image_override =
        Some("registry.example.com/acme/customer-analytics:9.9.9".into());
    let broken = support::with_fault(
        render::render(&broken_product),
        "code-location",
        "image-pull-backoff",
    );
    let mut opts = support::session_options();
    opts.atomic = true;
    let (_, second) = deploy(&c, &broken, &opts).await;
    assert!(!second.report.succeeded());
    let (back_to, result) = second.rollback.as_ref().expect("--atomic rolls back");
    assert_eq!(*back_to, first.revision);
    assert!(
        result.as_ref().is_ok_and(|r| r.succeeded()),
        "rollback: {result:?}"
    );

    // The cluster is back at revision 1: planning it again changes nothing.
    let again = plan(&c, &good, &PlanOptions::default()).await.unwrap();
    assert!(
        !again.has_changes(),
        "{}",
        floe::plan::format::to_text(&again, false)
    );
    let history = History::new(&c, &good.namespace, &good.product, "dev");
    let revisions = history.list().await.unwrap();
    assert_eq!(revisions.len(), 3, "good, failed, rollback");
    assert_eq!(revisions[0].outcome, RevisionOutcome::Succeeded);
    assert_eq!(revisions[1].outcome, RevisionOutcome::Failed);
    cleanup(&good.namespace);
}

/// A process killed mid-apply cannot record how it ended; the next apply,
/// holding the lock, marks that revision interrupted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revision_left_in_progress_by_a_killed_apply_is_marked_interrupted() {
    let c = support::floe_cluster().await;
    let p = product("minimal", Environment::Dev, "apply-killed");
    let desired = render::render(&p);
    let (first, _) = deploy(&c, &desired, &support::session_options()).await;
    let history = History::new(&c, &desired.namespace, &desired.product, "dev");
    let mut meta = history.list().await.unwrap()[0].clone();
    meta.outcome = RevisionOutcome::InProgress;
    meta.source = "killed".into();
    let stale = history
        .begin(meta, &session::desired_bodies(&first))
        .await
        .unwrap();

    let mut changed = render::render(&p);
    for o in changed
        .objects
        .iter_mut()
        .filter(|o| o.kind == "Deployment")
    {
        o.body["spec"]["replicas"] = json!(2);
    }
    let (_, report) = deploy(&c, &changed, &support::session_options()).await;
    assert!(report.report.succeeded(), "{:#?}", report.report.objects);
    let revisions = history.list().await.unwrap();
    let outcome_of = |n: u64| revisions.iter().find(|r| r.number == n).unwrap().outcome;
    assert_eq!(outcome_of(stale), RevisionOutcome::Interrupted);
    assert_eq!(outcome_of(report.revision), RevisionOutcome::Succeeded);
    cleanup(&desired.namespace);
}
