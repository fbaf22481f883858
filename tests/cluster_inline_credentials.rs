//! A platform manifest with a credential written inline (the floe
//! platform's demo style, fixtures/platform/demo-inline-credential): in dev
//! it deploys, the value reaching the pods through the Secret floe renders
//! and owns; in prod it is refused. The value never appears in a plan (any
//! format, saved or printed), a rendered ConfigMap, a revision record,
//! stderr or the pull-request comment.

mod support;

use base64::Engine;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret};
use kube::api::ListParams;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::floe;

/// A namespace floe creates (its name is unique per test), deleted at the end.
struct Ns {
    name: String,
    client: kube::Client,
}

impl Ns {
    async fn new(prefix: &str) -> Ns {
        Ns {
            name: support::unique_name(prefix),
            client: support::client().await,
        }
    }

    fn api<K>(&self) -> kube::Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        kube::Api::namespaced(self.client.clone(), &self.name)
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        let _ = Command::new("kubectl")
            .args(["delete", "namespace", &self.name, "--wait=false"])
            .env("KUBECONFIG", support::kubeconfig_path())
            .output();
    }
}

const VALUE: &str = "demo-secret-do-not-use";
const SECRET: &str = "customer-360-plugin-credentials";
const KEY: &str = "catalog.oauth2.client_secret";
const VARIABLE: &str = "FLOE_CATALOG_OAUTH2_CLIENT_SECRET";

/// The demo product, deploying to `ns`.
fn demo_product(ns: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(ns).join("product");
    std::fs::create_dir_all(&dir).unwrap();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/platform/demo-inline-credential");
    for f in ["floe.yaml", "manifest.yaml", "floe-deploy.yaml"] {
        std::fs::copy(fixture.join(f), dir.join(f)).unwrap();
    }
    append(
        &dir.join("floe-deploy.yaml"),
        &format!("namespace:\n  name: {ns}\n"),
    );
    dir
}

fn append(path: &Path, text: &str) {
    let mut s = std::fs::read_to_string(path).unwrap();
    s.push_str(text);
    std::fs::write(path, s).unwrap();
}

fn replace_in(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from} is not in {}", path.display());
    std::fs::write(path, text.replace(from, to)).unwrap();
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The value, and every spelling of it floe could leak (base64 as a
/// Secret holds it).
fn assert_no_value(what: &str, haystack: &str, value: &str) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(value);
    assert!(
        !haystack.contains(value) && !haystack.contains(&b64),
        "{what} shows the credential:\n{haystack}"
    );
}

fn run(args: &[&str]) -> (Output, String, String) {
    let out = floe(args);
    let (stdout, stderr) = text(&out);
    assert_no_value(&format!("floe {} (stdout)", args.join(" ")), &stdout, VALUE);
    assert_no_value(&format!("floe {} (stderr)", args.join(" ")), &stderr, VALUE);
    (out, stdout, stderr)
}

fn render(dir: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_floe"))
        .args(["render", dir, "--env", "dev", "-o", "yaml"])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_no_value("render -o yaml", &stdout, VALUE);
    assert_no_value("render's stderr", &stderr, VALUE);
    stdout
}

/// Every revision record as stored (ConfigMaps, compressed bodies
/// unpacked) and as floe reads it back.
async fn revision_records(ns: &Ns) -> String {
    use std::io::Read;
    let cms = ns
        .api::<ConfigMap>()
        .list(&ListParams::default().labels("floe.dev/internal=revision"))
        .await
        .unwrap();
    assert!(!cms.items.is_empty(), "no revision recorded");
    let mut all = String::new();
    for cm in cms.items {
        all.push_str(&serde_json::to_string(&cm.data).unwrap());
        for bytes in cm.binary_data.iter().flat_map(|b| b.values()) {
            let mut unpacked = String::new();
            flate2::read::GzDecoder::new(&bytes.0[..])
                .read_to_string(&mut unpacked)
                .unwrap();
            all.push_str(&unpacked);
        }
    }
    all
}

async fn secret_value(ns: &Ns) -> String {
    let secret = ns
        .api::<Secret>()
        .get(SECRET)
        .await
        .expect("the credentials Secret");
    let labels = secret.metadata.labels.unwrap_or_default();
    assert_eq!(labels["app.kubernetes.io/managed-by"], "floe");
    let data = secret.data.expect("data");
    String::from_utf8(data[KEY].0.clone()).unwrap()
}

async fn secret_version(ns: &Ns) -> Option<String> {
    let secret = ns.api::<Secret>().get(SECRET).await.unwrap();
    secret.metadata.resource_version
}

/// The main container's variable carrying the credential, in a pod spec.
fn credential_env(spec: &k8s_openapi::api::core::v1::PodSpec) -> serde_json::Value {
    let env = serde_json::to_value(&spec.containers[0].env).unwrap();
    env.as_array()
        .and_then(|vars| vars.iter().find(|v| v["name"] == VARIABLE).cloned())
        .unwrap_or_else(|| panic!("no {VARIABLE} in {env}"))
}

#[tokio::test]
async fn an_inline_credential_deploys_to_dev_through_floes_secret_and_is_never_shown() {
    let ns = Ns::new("inline-cred").await;
    let dir = demo_product(&ns.name);
    let d = dir.to_str().unwrap();

    for format in ["text", "json", "markdown"] {
        let (out, stdout, stderr) = run(&["plan", d, "--env", "dev", "--format", format]);
        assert_eq!(out.status.code(), Some(0), "{format}: {stderr}");
        assert!(stdout.contains(SECRET), "{format}: {stdout}");
        assert!(stdout.contains("fingerprint"), "{format}: {stdout}");
        assert!(stderr.contains("allowed in dev only"), "{stderr}");
    }
    let plan_file = dir.parent().unwrap().join("plan.json");
    let p = plan_file.to_str().unwrap();
    let (out, _, stderr) = run(&["plan", d, "--env", "dev", "--out", p]);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_no_value(
        "the saved plan",
        &std::fs::read_to_string(&plan_file).unwrap(),
        VALUE,
    );
    let rendered = render(d);
    assert!(
        rendered.contains("(sensitive value, not shown)"),
        "{rendered}"
    );

    // The saved plan carries no value: apply takes it from the product again.
    let (out, stdout, stderr) = run(&["apply", p, "-y"]);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(secret_value(&ns).await, VALUE);

    let deployment = ns.api::<Deployment>().get("code-location").await.unwrap();
    let template = deployment.spec.unwrap().template.spec.unwrap();
    let expected = serde_json::json!({"name": VARIABLE,
        "valueFrom": {"secretKeyRef": {"name": SECRET, "key": KEY}}});
    assert_eq!(credential_env(&template), expected);
    let pods = ns
        .api::<Pod>()
        .list(&ListParams::default().labels("app.kubernetes.io/name=code-location"))
        .await
        .unwrap();
    assert!(!pods.items.is_empty(), "the Deployment's pods run");
    for pod in &pods.items {
        assert_eq!(credential_env(pod.spec.as_ref().unwrap()), expected);
    }
    let platform = ns.api::<ConfigMap>().get("floe-platform").await.unwrap();
    let platform = serde_json::to_string(&platform.data).unwrap();
    assert!(platform.contains(VARIABLE), "{platform}");
    assert_no_value("the platform ConfigMap", &platform, VALUE);

    let (out, stdout, stderr) = run(&["plan", d, "--env", "dev"]);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("No changes."), "{stdout}");
    let (out, stdout, _) = run(&["history", d, "--env", "dev", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.contains("succeeded"), "{stdout}");
    assert_no_value("the revision records", &revision_records(&ns).await, VALUE);

    // Outside dev the same manifest is refused, naming the key and the way out.
    for env in ["staging", "prod"] {
        let (out, _, stderr) = run(&["deploy", d, "--env", env, "-y"]);
        assert_eq!(out.status.code(), Some(5), "{stderr}");
        assert!(
            stderr.contains("plugins.catalog.config.oauth2.client_secret")
                && stderr.contains("{secret_ref: <secret>, key: <key>}"),
            "{stderr}"
        );
    }
    let prod = ListParams::default().labels("floe.dev/environment=prod");
    let applied = ns.api::<Deployment>().list(&prod).await.unwrap();
    assert!(applied.items.is_empty(), "nothing of prod was applied");
}

/// Undo goes back to a revision's objects, but a revision never holds
/// Secret values: they come from the product inputs as they are now, and
/// the plan says so. Without them in the inputs, undo is refused.
#[tokio::test]
async fn undo_takes_the_credential_from_the_inputs_not_from_history() {
    let ns = Ns::new("inline-undo").await;
    let dir = demo_product(&ns.name);
    let d = dir.to_str().unwrap();
    let (out, _, stderr) = run(&["deploy", d, "--env", "dev", "-y"]);
    assert_eq!(out.status.code(), Some(0), "{stderr}");

    // Revision 2: another value, and a setting undo must take back.
    let rotated = "rotated-demo-secret";
    let manifest = dir.join("manifest.yaml");
    replace_in(&manifest, VALUE, rotated);
    append(
        &dir.join("floe-deploy.yaml"),
        "workloads:\n  code-location:\n    env:\n      MARK: two\n",
    );
    let (out, _, stderr) = run(&["deploy", d, "--env", "dev", "-y"]);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(secret_value(&ns).await, rotated);

    // The inputs move on (not deployed): undo takes their value.
    let current = "current-demo-secret";
    replace_in(&manifest, rotated, current);

    let out = floe(&["undo", d, "--env", "dev", "--to-revision", "1", "-y"]);
    let (stdout, stderr) = text(&out);
    for value in [VALUE, rotated, current] {
        assert_no_value("undo", &format!("{stdout}{stderr}"), value);
    }
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("secret/{SECRET}: its values come from the product inputs as they are now, not from revision 1 (history never stores secret values)")),
        "{stdout}"
    );
    let deployment = ns.api::<Deployment>().get("code-location").await.unwrap();
    let env =
        serde_json::to_string(&deployment.spec.unwrap().template.spec.unwrap().containers[0].env)
            .unwrap();
    assert!(
        !env.contains("MARK"),
        "revision 1's objects are back: {env}"
    );
    assert_eq!(
        secret_value(&ns).await,
        current,
        "the value is the inputs' one"
    );
    let records = revision_records(&ns).await;
    for value in [VALUE, rotated, current] {
        assert_no_value("the revision records", &records, value);
    }

    // The inputs no longer hold the credential: nothing to restore it from.
    replace_in(
        &manifest,
        current,
        "{secret_ref: polaris, key: client-secret}",
    );
    let before = secret_version(&ns).await;
    let out = floe(&["undo", d, "--env", "dev", "--to-revision", "1", "-y"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(5), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("cannot go back to revision 1: the values of Secret {SECRET} (keys {KEY}) are not in the product inputs, and history never stores them")),
        "{stderr}"
    );
    assert_eq!(before, secret_version(&ns).await, "nothing was applied");
}

/// `--atomic` goes back to the last good revision after a failure; that
/// revision holds no Secret values, so the way back takes them from the
/// product inputs the failed apply was made from (here a new version
/// changes the Secret's labels, so the way back must send it in full).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_atomic_rollback_sends_the_credential_from_the_inputs() {
    use floe::apply::{session, Silent};
    use floe::model::Environment;
    use floe::plan::compute::{plan, PlanOptions};
    let c = support::floe_cluster().await;
    let ns = Ns::new("inline-atomic").await;
    let dir = demo_product(&ns.name);
    let apply = |desired: floe::render::DesiredSet, atomic: bool| {
        let c = &c;
        async move {
            let planned = plan(c, &desired, &PlanOptions::default()).await.unwrap();
            let mut options = support::session_options();
            options.atomic = atomic;
            // The new version relabels the namespace, which floe created with
            // a plain create (an `Update` entry of its own field manager);
            // the apply takes those labels over.
            options.apply.force_conflicts = true;
            let (_tx, rx) = tokio::sync::watch::channel(false);
            session::run(c, &planned, &options, &Silent, rx)
                .await
                .unwrap()
        }
    };
    let load = || floe::model::load(&dir, Environment::Dev, None).unwrap();
    let first = apply(floe::render::render(&load()), false).await;
    assert!(first.report.succeeded());

    replace_in(
        &dir.join("floe.yaml"),
        "version: \"0.1.0\"",
        "version: \"0.2.0\"",
    );
    let broken = support::with_fault(
        floe::render::render(&load()),
        "code-location",
        "image-pull-backoff",
    );
    let second = apply(broken, true).await;
    assert!(!second.report.succeeded());
    let (back_to, result) = second.rollback.as_ref().expect("--atomic rolls back");
    assert_eq!(*back_to, first.revision);
    assert!(
        result.as_ref().is_ok_and(|r| r.succeeded()),
        "rollback: {result:?}"
    );
    let secret = ns.api::<Secret>().get(SECRET).await.unwrap();
    let labels = secret.metadata.labels.unwrap();
    assert_eq!(
        labels["app.kubernetes.io/version"], "0.1.0",
        "revision 1's Secret"
    );
    assert_eq!(secret_value(&ns).await, VALUE);
    assert_no_value("the revision records", &revision_records(&ns).await, VALUE);
}
