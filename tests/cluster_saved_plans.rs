//! A saved plan applies exactly what was reviewed or nothing: an edited plan
//! file (a body, an injected delete, an update turned into a replace, an
//! emptied guardrail), changed product files, another floe, and a change
//! that lands in the cluster between the review and the lock are each
//! refused, and the cluster holds afterwards exactly what it held before
//! (every object's uid and resourceVersion). Against the real local
//! control plane.

mod support;

use floe::apply::session::{Recheck, SessionError};
use floe::apply::Silent;
use floe::model::Diagnostic;
use floe::oci::ArtifactRef;
use floe::ops::artifact::{Access, Fetched};
use floe::ops::{self, ClusterTarget, Notes, OpsError};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

/// Every kind a product or a hand-made object in these tests can be.
const KINDS: &str = "configmaps,serviceaccounts,deployments,cronjobs,jobs,services,roles,\
rolebindings,networkpolicies,resourcequotas,limitranges,poddisruptionbudgets,\
persistentvolumeclaims,horizontalpodautoscalers";

use support::floe;

fn kubectl(args: &[&str]) -> Output {
    let out = Command::new("kubectl")
        .args(args)
        .env("KUBECONFIG", support::kubeconfig_path())
        .output()
        .expect("running kubectl");
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `kind/name` → (uid, resourceVersion) of every object in `ns`.
fn versions(ns: &str) -> BTreeMap<String, (String, String)> {
    let out = kubectl(&["get", KINDS, "-n", ns, "-o", "json"]);
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let meta = &o["metadata"];
            (
                format!(
                    "{}/{}",
                    o["kind"].as_str().unwrap(),
                    meta["name"].as_str().unwrap()
                ),
                (
                    meta["uid"].as_str().unwrap().to_string(),
                    meta["resourceVersion"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

/// A product deployed, then changed (a new image), and planned into a
/// file: the plan updates the workloads.
struct Planned {
    dir: PathBuf,
    ns: String,
    file: PathBuf,
}

impl Planned {
    async fn new(prefix: &str) -> Planned {
        support::client().await;
        let ns = support::unique_name(prefix);
        let dir = std::env::temp_dir().join(&ns);
        support::minimal_product_in(&dir, &ns);
        let d = dir.to_str().unwrap();
        let out = floe(&["deploy", d, "--env", "dev", "-y"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let settings = dir.join("floe-deploy.yaml");
        let text = std::fs::read_to_string(&settings).unwrap();
        std::fs::write(&settings, text.replace(":1.0.0", ":1.0.1")).unwrap();
        let planned = Planned {
            file: dir.join("plan.json"),
            dir,
            ns,
        };
        planned.plan();
        planned
    }

    fn plan(&self) {
        let (d, p) = (self.dir.to_str().unwrap(), self.file.to_str().unwrap());
        let out = floe(&["plan", d, "--env", "dev", "--out", p]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }

    fn read(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(&self.file).unwrap()).unwrap()
    }

    fn write(&self, plan: &Value) {
        std::fs::write(&self.file, serde_json::to_string_pretty(plan).unwrap()).unwrap();
    }

    /// `floe apply FILE -y` must fail with `code` saying `words`, and leave
    /// every object in the namespace as it was.
    fn refused(&self, code: i32, words: &str) {
        let before = versions(&self.ns);
        let out = floe(&["apply", self.file.to_str().unwrap(), "-y"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{err}");
        assert!(err.contains(words), "expected {words:?} in:\n{err}");
        assert_eq!(versions(&self.ns), before, "the refused apply wrote");
    }

    fn change_of<'a>(plan: &'a mut Value, kind: &str, action: &str) -> &'a mut Value {
        plan["changes"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|c| c["key"]["kind"] == kind && c["action"] == action)
            .unwrap_or_else(|| panic!("the plan has no {action} of a {kind}"))
    }
}

impl Planned {
    /// Another writer's change to every Deployment; what the namespace
    /// holds after it.
    fn someone_else_changes_the_deployments(&self) -> BTreeMap<String, (String, String)> {
        kubectl(&[
            "annotate",
            "deployments",
            "--all",
            "-n",
            &self.ns,
            "someone=else",
        ]);
        versions(&self.ns)
    }
}

impl Drop for Planned {
    fn drop(&mut self) {
        let _ = Command::new("kubectl")
            .args(["delete", "namespace", &self.ns, "--wait=false"])
            .env("KUBECONFIG", support::kubeconfig_path())
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn an_edited_body_is_refused() {
    let planned = Planned::new("saved-body").await;
    let mut plan = planned.read();
    let change = Planned::change_of(&mut plan, "Deployment", "update");
    change["desired"]["spec"]["template"]["spec"]["containers"][0]["image"] =
        json!("evil.example.com/miner:latest");
    planned.write(&plan);
    planned.refused(1, "the plan no longer matches: deployment/");
}

#[tokio::test]
async fn an_injected_delete_in_another_namespace_is_refused() {
    let planned = Planned::new("saved-xns").await;
    let victim = support::unique_name("saved-victim");
    kubectl(&["create", "namespace", &victim]);
    kubectl(&[
        "create",
        "configmap",
        "precious",
        "-n",
        &victim,
        "--from-literal=k=v",
    ]);
    let mut plan = planned.read();
    plan["changes"].as_array_mut().unwrap().push(json!({
        "address": "configmap/precious",
        "key": {"group": "", "kind": "ConfigMap", "namespace": victim, "name": "precious"},
        "api_version": "v1",
        "action": "delete",
        "actions": ["delete"],
        "before": null, "after": null, "desired": null
    }));
    planned.write(&plan);
    let victims = versions(&victim);
    planned.refused(1, "outside the product's namespace");
    assert_eq!(
        versions(&victim),
        victims,
        "the other namespace was written"
    );
    kubectl(&["delete", "namespace", &victim, "--wait=false"]);
}

#[tokio::test]
async fn an_injected_delete_of_a_foreign_object_in_the_namespace_is_refused() {
    let planned = Planned::new("saved-foreign").await;
    kubectl(&[
        "create",
        "configmap",
        "hand-made",
        "-n",
        &planned.ns,
        "--from-literal=k=v",
    ]);
    let (uid, rv) = versions(&planned.ns)["ConfigMap/hand-made"].clone();
    let mut plan = planned.read();
    // Even with the live uid and resourceVersion copied into the plan, the
    // object is not one the product owns.
    plan["changes"].as_array_mut().unwrap().push(json!({
        "address": "configmap/hand-made",
        "key": {"group": "", "kind": "ConfigMap", "namespace": planned.ns, "name": "hand-made"},
        "api_version": "v1",
        "action": "delete",
        "actions": ["delete"],
        "before": null, "after": null, "desired": null,
        "live_resource_version": rv, "live_uid": uid
    }));
    planned.write(&plan);
    planned.refused(1, "configmap/hand-made");
}

#[tokio::test]
async fn an_update_turned_into_a_replace_is_refused() {
    let planned = Planned::new("saved-replace").await;
    let mut plan = planned.read();
    let change = Planned::change_of(&mut plan, "Deployment", "update");
    change["action"] = json!("replace");
    change["actions"] = json!(["delete", "create"]);
    planned.write(&plan);
    planned.refused(1, "a plan made now would update it");
}

/// A PVC carrying the product's labels and not in the product: the plan
/// prunes it, which only `--allow-prune-data` allows.
fn orphan_pvc(ns: &str) {
    let out = kubectl(&[
        "get",
        "serviceaccounts",
        "-n",
        ns,
        "-l",
        "app.kubernetes.io/managed-by=floe",
        "-o",
        "json",
    ]);
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let labels = list["items"][0]["metadata"]["labels"].clone();
    let pvc = json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": "old-data", "namespace": ns, "labels": labels},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    });
    let file = std::env::temp_dir().join(format!("{ns}-pvc.json"));
    std::fs::write(&file, pvc.to_string()).unwrap();
    kubectl(&["create", "-f", file.to_str().unwrap()]);
}

#[tokio::test]
async fn an_emptied_guardrail_is_refused() {
    let planned = Planned::new("saved-guard").await;
    orphan_pvc(&planned.ns);
    planned.plan();
    let mut plan = planned.read();
    assert!(!plan["blocked"].as_array().unwrap().is_empty(), "{plan}");
    plan["blocked"] = json!([]);
    let change = Planned::change_of(&mut plan, "PersistentVolumeClaim", "delete");
    assert_eq!(change["requires_flag"], "--allow-prune-data");
    change.as_object_mut().unwrap().remove("requires_flag");
    planned.write(&plan);
    planned.refused(
        1,
        "persistentvolumeclaim/old-data: the guardrail result differs",
    );
}

#[tokio::test]
async fn changed_product_files_or_another_floe_are_refused() {
    let planned = Planned::new("saved-files").await;
    let settings = planned.dir.join("floe-deploy.yaml");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(&settings, format!("{text}# edited after the plan\n")).unwrap();
    planned.refused(1, "the product files in");
    std::fs::write(&settings, text).unwrap();

    let mut plan = planned.read();
    plan["binding"]["floe_version"] = json!("0.0.1");
    planned.write(&plan);
    planned.refused(1, "it was made by floe 0.0.1");
}

#[tokio::test]
async fn a_guardrail_flag_given_only_to_apply_is_refused() {
    let planned = Planned::new("saved-flag").await;
    let before = versions(&planned.ns);
    let out = floe(&[
        "apply",
        planned.file.to_str().unwrap(),
        "-y",
        "--allow-prune-data",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--allow-prune-data was not given to `floe plan`"));
    assert_eq!(versions(&planned.ns), before);
}

struct Quiet;

impl Notes for Quiet {
    fn warnings(&self, _: &[Diagnostic]) {}
    fn fetched(&self, _: &Fetched) {}
    fn read_unverified(&self, _: &ArtifactRef, _: &str) {}
}

fn target() -> ClusterTarget {
    ClusterTarget {
        kubeconfig: Some(support::kubeconfig_path()),
        context: None,
    }
}

/// Applies an opened saved plan as `floe apply FILE` does after approval:
/// the session makes the plan again under the lock.
async fn apply_opened(
    opened: ops::saved_plan::Opened,
) -> Result<floe::apply::session::SessionReport, OpsError> {
    let mut options = support::session_options();
    options.recheck = opened.recheck;
    let (_, never) = tokio::sync::watch::channel(false);
    let origin = &opened.origin;
    ops::apply::apply(
        &opened.cluster,
        &opened.plan,
        origin,
        options,
        &Silent,
        never,
    )
    .await
}

/// Someone changes an object the plan updates after every check before the
/// review passed: a saved plan is made again under the lock and refused.
#[tokio::test]
async fn a_change_after_the_review_is_refused_under_the_lock() {
    let planned = Planned::new("saved-race").await;
    let opened = ops::saved_plan::open(&planned.file, &target(), &Access::default(), &Quiet)
        .await
        .expect("the saved plan passes every check before the review");
    assert!(matches!(opened.recheck, Recheck::Replan(_)));
    let landed = planned.someone_else_changes_the_deployments();
    let result = apply_opened(opened).await;
    match result {
        Err(OpsError::Session(SessionError::NoLongerMatches(why))) => {
            assert!(why.contains("deployment/"), "{why}")
        }
        other => panic!(
            "expected the plan to no longer match, got {:?}",
            other.map(|r| r.revision)
        ),
    }
    assert_eq!(versions(&planned.ns), landed, "the refused apply wrote");
}

/// The same race for a plan made in this process (deploy): only the
/// cluster can have moved, and the check under the lock sees it.
#[tokio::test]
async fn a_change_after_a_deploys_review_is_refused_under_the_lock() {
    let planned = Planned::new("deploy-race").await;
    let cluster = support::floe_cluster().await;
    let desired = floe::ops::prepare::desired(
        &planned.dir,
        floe::model::Environment::Dev,
        &Default::default(),
    )
    .unwrap()
    .0;
    let options = floe::plan::compute::PlanOptions::default();
    let plan = floe::plan::compute::plan(&cluster, &desired, &options)
        .await
        .unwrap();
    assert!(plan.has_changes());
    let landed = planned.someone_else_changes_the_deployments();
    let (_, never) = tokio::sync::watch::channel(false);
    let origin = ops::apply::Origin::local("test".into());
    let result = ops::apply::apply(
        &cluster,
        &plan,
        &origin,
        support::session_options(),
        &Silent,
        never,
    )
    .await;
    assert!(
        matches!(result, Err(OpsError::Session(SessionError::Stale(_)))),
        "expected a stale refusal, got {:?}",
        result.map(|r| r.revision)
    );
    assert_eq!(versions(&planned.ns), landed, "the refused apply wrote");
}

/// A controller writing only an object's status (the quota's usage while
/// pods come and go) between the review and the lock changes nothing a
/// person reviewed: a saved plan and a deploy's plan both still apply.
#[tokio::test]
async fn a_status_only_change_after_the_review_is_not_a_change() {
    let planned = Planned::new("status-only").await;
    let opened = ops::saved_plan::open(&planned.file, &target(), &Access::default(), &Quiet)
        .await
        .expect("the saved plan passes every check before the review");
    let quota_before = versions(&planned.ns)["ResourceQuota/floe-quota"].clone();
    let status = r#"{"status":{"hard":{"pods":"1"},"used":{"pods":"0"}}}"#;
    kubectl(&[
        "patch",
        "resourcequota",
        "floe-quota",
        "-n",
        &planned.ns,
        "--subresource=status",
        "--type=merge",
        "-p",
        status,
    ]);
    let quota_after = versions(&planned.ns)["ResourceQuota/floe-quota"].clone();
    assert_ne!(
        quota_before.1, quota_after.1,
        "the status write moved the resourceVersion"
    );
    assert_eq!(quota_before.0, quota_after.0);
    let report = apply_opened(opened)
        .await
        .expect("a status-only write is not a change");
    assert!(report.report.succeeded(), "{:?}", report.report.objects);
}
