//! A revision record is only as trustworthy as whoever can write ConfigMaps
//! in the product's namespace. These tests edit records the way such a
//! person could (a body with or without its checksum recomputed, the
//! outcome annotation, an object outside the namespace, an artifact whose
//! signature no longer satisfies the policy) and check that `floe undo` and
//! the `--atomic` rollback refuse, or show exactly what they would do and
//! apply nothing without approval. Every test compares what the cluster
//! holds (uid and resourceVersion of every object) before and after.
//!
//! The artifact tests need FLOE_TEST_REGISTRY (scripts/registry-up.sh) and
//! FLOE_TEST_COSIGN; a missing one fails the test, never skips it.

mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use floe::cluster::Cluster;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::{json, Value};
use support::oci::{text, Scenario};

fn d(s: &Scenario) -> &str {
    s.dir.to_str().unwrap()
}

/// floe on a terminal (util-linux `script` gives it one) whose user
/// answers `answer` to the approval question. Returns the exit code and
/// everything the terminal showed.
fn floe_answering(s: &Scenario, args: &[&str], answer: &str) -> (Option<i32>, String) {
    let line = std::iter::once(env!("CARGO_BIN_EXE_floe"))
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect::<Vec<_>>()
        .join(" ");
    let floe = s.command(&[]);
    let mut script = Command::new("script");
    script
        .args(["-qec", &line, "/dev/null"])
        .current_dir(s.root());
    for (k, v) in floe.get_envs() {
        match v {
            Some(v) => script.env(k, v),
            None => script.env_remove(k),
        };
    }
    let mut child = script
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("running floe under script");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(format!("{answer}\n").as_bytes()).unwrap();
    let mut shown = String::new();
    let mut stdout = child.stdout.take().unwrap();
    stdout.read_to_string(&mut shown).unwrap();
    drop(stdin);
    (child.wait().unwrap().code(), shown)
}

/// `floe deploy` of the directory, approved, with `extra`; must succeed.
fn deploy_dir(s: &Scenario, extra: &[&str]) {
    let out = s.floe(
        &[&["deploy", d(s), "--env", "dev", "-y"][..], extra].concat(),
        &[],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "deploy: {stdout}{stderr}");
}

fn undo(s: &Scenario, args: &[&str]) -> Output {
    s.floe(&[&["undo", d(s), "--env", "dev"][..], args].concat(), &[])
}

fn records(client: &kube::Client, s: &Scenario) -> Api<ConfigMap> {
    Api::namespaced(client.clone(), &s.ns)
}

/// uid and resourceVersion of every object of a managed kind in `ns` (the
/// namespace itself, floe's objects, the revision records).
async fn snapshot(c: &Cluster, ns: &str) -> BTreeMap<String, String> {
    let mut all = BTreeMap::new();
    for info in floe::kinds::infos() {
        let api = c.api(info, ns);
        let items = if info.namespaced {
            api.list(&ListParams::default()).await.expect("list").items
        } else {
            api.get_opt(ns).await.expect("get").into_iter().collect()
        };
        for item in items {
            let m = &item.metadata;
            all.insert(
                format!("{}/{}", info.kind, m.name.clone().unwrap_or_default()),
                format!("{:?}/{:?}", m.uid, m.resource_version),
            );
        }
    }
    all
}

/// The snapshot once controllers have stopped writing status after an apply.
async fn settled(c: &Cluster, ns: &str) -> BTreeMap<String, String> {
    let mut before = snapshot(c, ns).await;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(750)).await;
        let now = snapshot(c, ns).await;
        if now == before {
            return now;
        }
        before = now;
    }
    panic!("{ns} did not settle: {before:#?}");
}

/// The desired bodies stored in revision `number` (one part: a small product).
async fn bodies(records: &Api<ConfigMap>, number: u64) -> Vec<Value> {
    let record = records
        .get(&format!("floe-revision-{number}"))
        .await
        .expect("the record");
    let blob = &record.binary_data.expect("binaryData")["desired.json.gz"].0;
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(blob.as_slice())
        .read_to_end(&mut json)
        .expect("gzip");
    serde_json::from_slice(&json).expect("a JSON array")
}

/// Writes `bodies` into revision `number`; with `recompute`, also the
/// checksum beside them (what someone who knows the format would do).
async fn put_bodies(records: &Api<ConfigMap>, number: u64, bodies: &[Value], recompute: bool) {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&serde_json::to_vec(bodies).unwrap()).unwrap();
    let blob = gz.finish().unwrap();
    use base64::Engine;
    let mut patch = json!({"binaryData": {
        "desired.json.gz": base64::engine::general_purpose::STANDARD.encode(&blob)}});
    if recompute {
        use sha2::Digest;
        let sha = hex::encode(sha2::Sha256::digest(&blob));
        patch["metadata"] = json!({"annotations": {"floe.dev/desired-sha256": sha}});
    }
    annotate(records, number, &patch).await;
}

async fn annotate(records: &Api<ConfigMap>, number: u64, patch: &Value) {
    records
        .patch(
            &format!("floe-revision-{number}"),
            &PatchParams::default(),
            &Patch::Merge(patch),
        )
        .await
        .expect("editing the record");
}

/// Whether a plan's diff adds the line `line`.
fn added(plan: &str, line: &str) -> bool {
    plan.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with('+') && l[1..].trim() == line
    })
}

/// The body of `kind` in `bodies`.
fn body_of<'a>(bodies: &'a mut [Value], kind: &str) -> &'a mut Value {
    bodies
        .iter_mut()
        .find(|b| b["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} recorded"))
}

const IMAGE: &str = "registry.example.com/acme/customer-analytics";

/// The product deployed twice: revision 1 with image 1.0.0, revision 2 with 1.0.1.
async fn two_revisions(prefix: &str) -> (Scenario, Cluster, kube::Client) {
    let client = support::client().await;
    let c = support::floe_cluster().await;
    let s = Scenario::new(prefix);
    deploy_dir(&s, &[]);
    deploy_dir(&s, &["--image", &format!("{IMAGE}:1.0.1")]);
    (s, c, client)
}

#[tokio::test]
async fn an_edited_body_with_its_old_checksum_is_refused() {
    let (s, c, client) = two_revisions("rev-checksum").await;
    let records = records(&client, &s);
    let mut edited = bodies(&records, 1).await;
    body_of(&mut edited, "Deployment")["metadata"]["labels"]["planted"] = json!("yes");
    put_bodies(&records, 1, &edited, false).await;
    let before = settled(&c, &s.ns).await;

    let out = undo(&s, &["--to-revision", "1", "-y"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(6), "{stdout}{stderr}");
    assert!(
        stderr.contains("revision 1 was modified after floe recorded it")
            && stderr.contains("it is not applied"),
        "{stderr}"
    );
    assert!(
        !stdout.contains("Plan:"),
        "no plan of a refused record: {stdout}"
    );
    assert_eq!(snapshot(&c, &s.ns).await, before, "nothing was applied");
}

#[tokio::test]
async fn an_edited_body_with_its_checksum_recomputed_is_shown_and_needs_approval() {
    let (s, c, client) = two_revisions("rev-rehashed").await;
    let records = records(&client, &s);
    let mut edited = bodies(&records, 1).await;
    let labels = &mut body_of(&mut edited, "Deployment")["metadata"]["labels"];
    labels["planted"] = json!("by-someone-who-writes-configmaps");
    put_bodies(&records, 1, &edited, true).await;
    let before = settled(&c, &s.ns).await;

    let args = ["undo", d(&s), "--env", "dev", "--to-revision", "1"];
    let (code, shown) = floe_answering(&s, &args, "no");
    assert_eq!(code, Some(1), "{shown}");
    assert!(shown.contains("Going back to revision 1"), "{shown}");
    assert!(
        added(&shown, "planted: by-someone-who-writes-configmaps"),
        "the plan shows exactly the edited body: {shown}"
    );
    assert!(
        shown.contains("Apply these changes to") && shown.contains("nothing was changed"),
        "{shown}"
    );
    assert_eq!(snapshot(&c, &s.ns).await, before, "nothing was applied");
}

#[tokio::test]
async fn an_edited_outcome_changes_the_default_target_and_the_plan_names_it() {
    let (s, c, client) = two_revisions("rev-outcome").await;
    deploy_dir(&s, &["--image", &format!("{IMAGE}:1.0.2")]);
    // Undo's default is revision 2 (the success before the latest); marked
    // failed, the default becomes revision 1.
    let records = records(&client, &s);
    let failed = json!({"metadata": {"annotations": {"floe.dev/outcome": "failed"}}});
    annotate(&records, 2, &failed).await;
    let before = settled(&c, &s.ns).await;

    let (code, shown) = floe_answering(&s, &["undo", d(&s), "--env", "dev"], "no");
    assert_eq!(code, Some(1), "{shown}");
    assert!(
        shown.contains("Going back to revision 1 (succeeded"),
        "the revision undo chose is named: {shown}"
    );
    assert!(
        added(&shown, &format!("image: {IMAGE}:1.0.0")),
        "the plan goes back to revision 1's image: {shown}"
    );
    assert_eq!(snapshot(&c, &s.ns).await, before, "nothing was applied");
}

#[tokio::test]
async fn objects_outside_the_namespace_are_refused_and_left_alone() {
    let (s, c, client) = two_revisions("rev-foreign").await;
    let victim = support::TestNs::new("rev-victim").await;
    let target: ConfigMap = victim
        .create(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "victim"}, "data": {"owner": "someone else"}}))
        .await;
    let records = records(&client, &s);
    let original = bodies(&records, 1).await;
    let labels = body_of(&mut original.clone(), "ServiceAccount")["metadata"]["labels"].clone();
    settled(&c, &s.ns).await;

    let planted = [
        (
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "victim", "namespace": victim.name, "labels": labels},
                "data": {"owner": "floe"}}),
            format!(
                "ConfigMap {}/victim is outside the product's namespace",
                victim.name
            ),
        ),
        (
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": {"name": victim.name, "labels": labels},
                "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}),
            format!(
                "ClusterRole {} is of kind ClusterRole, which floe does not manage",
                victim.name
            ),
        ),
    ];
    for (body, refusal) in planted {
        let mut edited = original.clone();
        edited.push(body);
        put_bodies(&records, 1, &edited, true).await;
        let before = snapshot(&c, &s.ns).await;
        let out = undo(&s, &["--to-revision", "1", "-y"]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(6), "{stdout}{stderr}");
        assert!(
            stderr.contains(&format!("revision 1 is not applied: {refusal}"))
                && stderr.contains("the record was modified"),
            "{stderr}"
        );
        assert_eq!(snapshot(&c, &s.ns).await, before, "nothing was applied");
    }
    let now: ConfigMap = victim.api().get("victim").await.expect("the victim");
    assert_eq!(
        now.metadata.resource_version,
        target.metadata.resource_version
    );
    assert_eq!(now.data.unwrap()["owner"], "someone else");
    let roles = c.api(
        &floe::kinds::KindInfo {
            group: "rbac.authorization.k8s.io",
            version: "v1",
            kind: "ClusterRole",
            plural: "clusterroles",
            namespaced: false,
        },
        "",
    );
    let role = roles.get_opt(&victim.name).await.expect("get");
    assert!(role.is_none(), "no ClusterRole was created");
}

/// Revision 1 from artifact 1.0.0 and revision 2 from 1.0.1 (another
/// image), both signed with `keys` and deployed under its policy. Returns
/// their pinned references.
fn two_artifact_revisions(s: &Scenario, keys: &Path) -> (String, String) {
    let policy = s.policy(keys, "enforce");
    let mut pinned = Vec::new();
    for tag in ["1.0.0", "1.0.1"] {
        if tag == "1.0.1" {
            let settings = s.dir.join("floe-deploy.yaml");
            let changed = std::fs::read_to_string(&settings)
                .unwrap()
                .replace("customer-analytics:1.0.0", "customer-analytics:1.0.1");
            std::fs::write(&settings, changed).unwrap();
        }
        let reference = s.push(tag);
        s.sign(&reference, keys);
        let out = s.deploy(&s.reference(tag), &policy);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "deploy: {stdout}{stderr}");
        pinned.push(reference);
    }
    (pinned.remove(0), pinned.remove(0))
}

/// `floe undo` to revision 1, approved, verifying under `policy`.
fn undo_artifact(s: &Scenario, policy: &str) -> Output {
    undo(s, &["--to-revision", "1", "--policy", policy, "-y"])
}

/// The newest revision as `floe history --format json` shows it.
fn newest_revision(s: &Scenario) -> Value {
    let out = s.floe(&["history", d(s), "--env", "dev", "--format", "json"], &[]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let list: Value = serde_json::from_str(&stdout).expect("history JSON");
    list[0].clone()
}

#[tokio::test]
async fn an_artifact_revision_is_verified_again_and_rendered_again() {
    let c = support::floe_cluster().await;
    let client = support::client().await;
    let s = Scenario::new("rev-artifact");
    let trusted = s.key_pair("trusted");
    let (first, _) = two_artifact_revisions(&s, &trusted);
    let digest = first.rsplit('@').next().unwrap().to_string();
    let records = records(&client, &s);
    let recorded = bodies(&records, 1).await;
    let before = settled(&c, &s.ns).await;

    // Today's policy trusts another key only: the artifact is refused.
    let other = s.key_pair("other");
    let out = undo_artifact(&s, &s.policy(&other, "enforce"));
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(6), "{stdout}{stderr}");
    assert!(stderr.contains(&format!("refusing {first}")), "{stderr}");
    assert_eq!(snapshot(&c, &s.ns).await, before, "nothing was applied");

    // A record whose bodies are not what its artifact renders is refused,
    // even with its checksum recomputed and the artifact still verifying.
    let mut edited = recorded.clone();
    body_of(&mut edited, "Deployment")["spec"]["replicas"] = json!(7);
    put_bodies(&records, 1, &edited, true).await;
    let before = snapshot(&c, &s.ns).await;
    let out = undo_artifact(&s, &s.policy(&trusted, "enforce"));
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(6), "{stdout}{stderr}");
    assert!(
        stderr.contains(
            "revision 1 is not applied: its deployment/code-location differs from the artifact's"
        ) && stderr.contains(&format!("({first} renders otherwise)")),
        "{stderr}"
    );
    assert_eq!(snapshot(&c, &s.ns).await, before, "nothing was applied");

    // The record as floe wrote it, under a policy it satisfies: applied,
    // and recorded as coming from that artifact, verified just now.
    put_bodies(&records, 1, &recorded, true).await;
    let out = undo_artifact(&s, &s.policy(&trusted, "enforce"));
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "Its artifact {first} was pulled again; signature: verified {digest}"
        )),
        "{stdout}"
    );
    let undone = newest_revision(&s);
    assert_eq!(undone["source"], "undo to revision 1", "{undone}");
    assert_eq!(undone["artifact"], first.as_str(), "{undone}");
    assert_eq!(undone["input_digest"], digest.as_str(), "{undone}");
    assert!(
        undone["signature"]
            .as_str()
            .is_some_and(|s| s.starts_with(&format!("verified {digest}"))),
        "{undone}"
    );
}

/// Records the rollback plans a session shows.
#[derive(Default)]
struct Plans(std::sync::Mutex<Vec<(u64, floe::plan::Summary)>>);

impl floe::apply::Reporter for Plans {
    fn report(&self, _: &floe::apply::Event) {}

    fn rollback_plan(&self, revision: u64, plan: &floe::plan::Plan) {
        self.0.lock().unwrap().push((revision, plan.summary));
    }
}

/// An `--atomic` apply of the product directory whose workload's pods
/// fail with `fault`; the way back is verified under `policy`.
async fn failing_apply(
    c: &Cluster,
    s: &Scenario,
    fault: &str,
    policy: &str,
    reporter: &Plans,
) -> floe::apply::session::SessionReport {
    use floe::model::Environment;
    let product = floe::model::load(&s.dir, Environment::Dev, None).expect("the product loads");
    let desired = support::with_fault(floe::render::render(&product), "code-location", fault);
    let options = floe::plan::compute::PlanOptions::default();
    let plan = floe::plan::compute::plan(c, &desired, &options)
        .await
        .expect("plan");
    let access = floe::ops::artifact::Access {
        registry: floe::oci::RegistryOptions {
            plain_http: true,
            ca_file: None,
            cache_dir: Some(s.cache.clone()),
        },
        policy: Some(policy.into()),
    };
    let mut options = support::session_options();
    options.atomic = true;
    options.way_back = floe::ops::way_back::verified(&access);
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let report = floe::apply::session::run(c, &plan, &options, reporter, rx)
        .await
        .expect("the session runs");
    assert!(!report.report.succeeded(), "the apply fails");
    report
}

/// Whether the product's Deployment's pods carry a test fault.
async fn faulty(client: &kube::Client, ns: &str) -> Option<String> {
    use k8s_openapi::api::apps::v1::Deployment;
    let api: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let deployment = api.get("code-location").await.expect("the Deployment");
    let labels = deployment.spec?.template.metadata?.labels?;
    labels.get(support::FAULT_LABEL).cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_atomic_rollback_verifies_an_artifact_revision_again() {
    let c = support::floe_cluster().await;
    let client = support::client().await;
    let s = Scenario::new("rev-atomic");
    let trusted = s.key_pair("trusted");
    let (_, second) = two_artifact_revisions(&s, &trusted);
    let other = s.key_pair("other");
    let reporter = Plans::default();

    // The way back is artifact 1.0.1, which today's policy does not trust.
    let failed = failing_apply(
        &c,
        &s,
        "image-pull-backoff",
        &s.policy(&other, "enforce"),
        &reporter,
    )
    .await;
    let (back_to, result) = failed.rollback.as_ref().expect("--atomic tries to go back");
    assert_eq!(*back_to, 2);
    let refusal = result.as_ref().expect_err("the way back is refused");
    assert!(
        refusal.contains(&format!("refused: refusing {second}")),
        "{refusal}"
    );
    assert!(reporter.0.lock().unwrap().is_empty(), "nothing was planned");
    assert_eq!(
        faulty(&client, &s.ns).await.as_deref(),
        Some("image-pull-backoff")
    );
    let recorded = newest_revision(&s);
    assert_eq!(
        recorded["number"], failed.revision,
        "no rollback revision: {recorded}"
    );
    let note = recorded["rollback"].as_str().unwrap_or_default();
    assert!(
        note.starts_with("to revision 2: not applied: refused: refusing"),
        "{recorded}"
    );

    // Under a policy it satisfies, the way back is the artifact rendered
    // again, shown as a plan and recorded with the verification.
    let failed = failing_apply(
        &c,
        &s,
        "crash-loop",
        &s.policy(&trusted, "enforce"),
        &reporter,
    )
    .await;
    let (back_to, result) = failed.rollback.as_ref().expect("--atomic goes back");
    assert_eq!(*back_to, 2);
    assert!(result.as_ref().is_ok_and(|r| r.succeeded()), "{result:?}");
    let plans = reporter.0.lock().unwrap().clone();
    assert!(
        plans.len() == 1 && plans[0].0 == 2 && plans[0].1.change >= 1,
        "the rollback's plan was shown: {plans:?}"
    );
    assert_eq!(faulty(&client, &s.ns).await, None, "back at revision 2");
    let rollback = newest_revision(&s);
    let source = format!(
        "rollback of revision {} to revision 2 (--atomic)",
        failed.revision
    );
    assert_eq!(rollback["source"], source.as_str(), "{rollback}");
    assert_eq!(rollback["artifact"], second.as_str(), "{rollback}");
    assert!(
        rollback["signature"]
            .as_str()
            .is_some_and(|s| s.starts_with("verified")),
        "{rollback}"
    );
}
