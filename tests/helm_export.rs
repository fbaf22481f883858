//! `floe export helm` checked with the real Helm (built from its Go module by
//! `scripts/helm-build.sh`, given as FLOE_TEST_HELM; `scripts/test.sh` sets
//! it): for both examples and every environment, `helm template` with
//! values-<env>.yaml gives exactly the objects `floe render --env <env>`
//! prints; `helm lint --strict` passes; the schema refuses a value of the
//! wrong type; and `helm install --wait` of an exported chart becomes Ready
//! on the local test cluster.
//!
//! The comparison ignores one thing only: the `helm.sh/chart` label Helm's
//! convention adds to each object's own labels (checked to be there, then
//! removed). Nothing else is normalised. Without FLOE_TEST_HELM the tests
//! fail (never skip), saying how to get it.

mod support;

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FLOE: &str = env!("CARGO_BIN_EXE_floe");
const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "prod"];
/// The one label the chart adds to floe's own (the comparison drops it).
const HELM_LABEL: &str = "helm.sh/chart";

fn helm_binary() -> PathBuf {
    match std::env::var_os("FLOE_TEST_HELM") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => panic!(
            "FLOE_TEST_HELM is not set: these tests need the real Helm CLI.\n\
             Build it with `bash scripts/helm-build.sh` (prints its path; a cold build takes \
             minutes) and run `FLOE_TEST_HELM=<that path> cargo test --test helm_export`, \
             or run everything with `bash scripts/test.sh`."
        ),
    }
}

/// Helm with its config, cache and data kept inside `home` (never the
/// user's repositories or registry logins).
fn helm(home: &Path, args: &[&str]) -> Output {
    Command::new(helm_binary())
        .args(args)
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_DATA_HOME", home.join("data"))
        .output()
        .expect("running helm")
}

fn floe(args: &[&str]) -> Output {
    Command::new(FLOE)
        .args(args)
        .output()
        .expect("running floe")
}

fn succeeded(what: &str, out: &Output) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

fn scratch(prefix: &str) -> PathBuf {
    // Under the target dir, not /tmp: the charts stay for a look after a
    // failure and go with `cargo clean`.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(support::unique_name(prefix));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `floe export helm <dir> --out <scratch>/chart`; returns the chart dir.
fn export(product: &Path, extra: &[&str]) -> PathBuf {
    let chart = scratch("floe-helm-export").join("chart");
    let fixed = [
        "export",
        "helm",
        product.to_str().unwrap(),
        "--out",
        chart.to_str().unwrap(),
    ];
    let args = [&fixed[..], extra].concat();
    succeeded("floe export helm", &floe(&args));
    chart
}

/// Objects by kind and name (a product lives in one namespace).
fn by_identity(objects: impl IntoIterator<Item = Value>) -> BTreeMap<(String, String), Value> {
    objects
        .into_iter()
        .filter(|o| !o.is_null())
        .map(|o| {
            let kind = o["kind"].as_str().expect("kind").to_string();
            let name = o["metadata"]["name"].as_str().expect("name").to_string();
            ((kind, name), o)
        })
        .collect()
}

fn floe_render(product: &Path, env: &str) -> BTreeMap<(String, String), Value> {
    let json = succeeded(
        "floe render",
        &floe(&[
            "render",
            product.to_str().unwrap(),
            "--env",
            env,
            "-o",
            "json",
        ]),
    );
    let list: Value = serde_json::from_str(&json).expect("render -o json is a List");
    by_identity(list["items"].as_array().expect("items").clone())
}

/// `helm template` of the chart with values-<env>.yaml (with values.yaml
/// alone for `None`), Helm's label checked and removed.
fn helm_template(chart: &Path, env: Option<&str>) -> BTreeMap<(String, String), Value> {
    let mut args = vec![
        "template".to_string(),
        "release".to_string(),
        chart.to_str().unwrap().to_string(),
    ];
    if let Some(env) = env {
        let values = chart.join(format!("values-{env}.yaml"));
        args.extend(["-f".to_string(), values.to_str().unwrap().to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = helm(chart.parent().unwrap(), &args);
    let text = succeeded("helm template", &out);
    let docs = serde_norway::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).expect("helm template prints YAML"));
    let mut objects = by_identity(docs);
    for ((kind, name), object) in objects.iter_mut() {
        let labels = object["metadata"]["labels"]
            .as_object_mut()
            .unwrap_or_else(|| panic!("{kind}/{name} has no labels"));
        assert!(
            labels.remove(HELM_LABEL).is_some(),
            "{kind}/{name} lacks Helm's {HELM_LABEL} label"
        );
    }
    objects
}

fn assert_same_objects(example: &str, env: &str, chart: &Path) {
    let want = floe_render(&self::example(example), env);
    let got = helm_template(chart, Some(env));
    let want_keys: Vec<_> = want.keys().collect();
    let got_keys: Vec<_> = got.keys().collect();
    assert_eq!(got_keys, want_keys, "{example} {env}: the objects differ");
    for (key, object) in &want {
        assert_eq!(
            &got[key], object,
            "{example} {env}: {key:?} differs between helm template (left) and floe render"
        );
    }
}

#[test]
fn helm_template_gives_back_exactly_what_floe_renders_in_every_environment() {
    for name in ["minimal", "full"] {
        let chart = export(&example(name), &[]);
        for env in ENVIRONMENTS {
            assert_same_objects(name, env, &chart);
        }
    }
}

#[test]
fn values_yaml_alone_gives_back_the_first_environment() {
    let chart = export(&example("full"), &["--env", "prod,dev"]);
    assert_eq!(
        helm_template(&chart, None),
        floe_render(&example("full"), "prod")
    );
}

#[test]
fn a_chart_of_one_environment_gives_back_that_environment() {
    let chart = export(&example("full"), &["--env", "staging"]);
    assert!(chart.join("values-staging.yaml").is_file());
    assert!(!chart.join("values-dev.yaml").exists());
    assert_same_objects("full", "staging", &chart);
}

#[test]
fn helm_lint_strict_passes_with_every_values_file() {
    for name in ["minimal", "full"] {
        let chart = export(&example(name), &[]);
        let home = chart.parent().unwrap();
        succeeded(
            "helm lint --strict",
            &helm(home, &["lint", "--strict", chart.to_str().unwrap()]),
        );
        for env in ENVIRONMENTS {
            let values = chart.join(format!("values-{env}.yaml"));
            let args = ["lint", "--strict", chart.to_str().unwrap(), "-f"];
            let out = helm(home, &[&args[..], &[values.to_str().unwrap()]].concat());
            succeeded(&format!("helm lint --strict -f values-{env}.yaml"), &out);
        }
    }
}

#[test]
fn the_schema_refuses_a_value_of_the_wrong_type() {
    let chart = export(&example("minimal"), &[]);
    let home = chart.parent().unwrap();
    let chart_arg = chart.to_str().unwrap();
    let set = helm(
        home,
        &[
            "template",
            "r",
            chart_arg,
            "--set",
            "workloads.code-location.replicas=abc",
        ],
    );
    assert!(!set.status.success(), "a string for replicas was accepted");
    let stderr = String::from_utf8_lossy(&set.stderr);
    assert!(stderr.contains("replicas"), "{stderr}");

    let wrong = home.join("wrong.yaml");
    std::fs::write(
        &wrong,
        "quota:\n  pods: 80\nworkloads:\n  code-location:\n    image: [a]\n",
    )
    .unwrap();
    let file = helm(
        home,
        &["template", "r", chart_arg, "-f", wrong.to_str().unwrap()],
    );
    assert!(
        !file.status.success(),
        "wrong types in a values file were accepted"
    );
    let stderr = String::from_utf8_lossy(&file.stderr);
    assert!(
        stderr.contains("pods") && stderr.contains("image"),
        "{stderr}"
    );
    // The same chart with its own values renders.
    succeeded("helm template", &helm(home, &["template", "r", chart_arg]));
}

#[test]
fn export_refuses_a_directory_that_holds_something_else_and_replaces_its_own_export() {
    let out = scratch("floe-helm-out");
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let minimal = example("minimal");
    let args = ["export", "helm", minimal.to_str().unwrap(), "--out"];
    let refused = floe(&[&args[..], &[out.to_str().unwrap()]].concat());
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not empty"));
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );

    let chart = export(&minimal, &[]);
    let stale = chart.join("templates").join("stale.yaml");
    std::fs::write(&stale, "kind: Leftover\n").unwrap();
    let again = floe(&[&args[..], &[chart.to_str().unwrap(), "--env", "prod"]].concat());
    succeeded("a second export into the same chart", &again);
    assert!(!stale.exists(), "an earlier export's templates must go");
    assert!(!chart.join("values-dev.yaml").exists());
    assert!(chart.join("values-prod.yaml").is_file());
}

/// Needs the local test cluster (FLOE_TEST_KUBECONFIG).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helm_install_of_an_exported_chart_becomes_ready() {
    let release_ns = support::TestNs::new("helm-release").await;
    let namespace = support::unique_name("helm-install");
    let product = scratch("floe-helm-product");
    support::minimal_product_in(&product, &namespace);
    let chart = export(&product, &["--env", "dev"]);
    let kubeconfig = support::kubeconfig_path();
    let values = chart.join("values-dev.yaml");
    let release = support::unique_name("floe");
    let common = [
        "--namespace",
        &release_ns.name,
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
    ];
    let install = [
        "install",
        &release,
        chart.to_str().unwrap(),
        "-f",
        values.to_str().unwrap(),
        "--wait",
        "--timeout",
        "5m",
    ];
    let home = chart.parent().unwrap().to_path_buf();
    let out = helm(&home, &[&install[..], &common[..]].concat());
    let status = helm(&home, &[&["status", &release][..], &common[..]].concat());
    let uninstall = helm(&home, &[&["uninstall", &release][..], &common[..]].concat());
    let _ = Command::new("kubectl")
        .args(["delete", "namespace", &namespace, "--wait=false"])
        .env("KUBECONFIG", &kubeconfig)
        .output();
    succeeded("helm install --wait", &out);
    let status = succeeded("helm status", &status);
    assert!(status.contains("STATUS: deployed"), "{status}");
    succeeded("helm uninstall", &uninstall);
}

/// floe run as for an artifact: plain HTTP to the test registry, a cache of
/// its own, no credentials from the environment.
fn floe_for_registry(root: &Path, args: &[&str]) -> Output {
    Command::new(FLOE)
        .args(args)
        .env_remove("FLOE_REGISTRY_USERNAME")
        .env_remove("FLOE_REGISTRY_PASSWORD")
        .env_remove("FLOE_REGISTRY_TOKEN")
        .env_remove("FLOE_SIGNATURE_POLICY")
        .env("DOCKER_CONFIG", root.join("no-docker-config"))
        .env("FLOE_CACHE_DIR", root.join("cache"))
        .env("FLOE_REGISTRY_PLAIN_HTTP", "true")
        .env("NO_COLOR", "1")
        .output()
        .expect("running floe")
}

/// Needs the plain-HTTP test registry (FLOE_TEST_REGISTRY, started by
/// scripts/test.sh). The artifact is unsigned: dev's default policy warns,
/// prod's refuses.
#[test]
fn an_artifact_is_exported_only_when_every_environments_policy_accepts_it() {
    let registry = std::env::var("FLOE_TEST_REGISTRY").unwrap_or_else(|_| {
        panic!("FLOE_TEST_REGISTRY is not set: run the tests with scripts/test.sh, which starts the registries")
    });
    let name = support::unique_name("helm-oci");
    let root = scratch("floe-helm-oci");
    let product = root.join("product");
    support::minimal_product_in(&product, &name);
    let reference = format!("oci://{registry}/floe/{name}:1.0.0");
    let push = ["artifact", "push", product.to_str().unwrap(), &reference];
    succeeded("floe artifact push", &floe_for_registry(&root, &push));

    let dev_chart = root.join("dev-chart");
    let dev = [
        "export",
        "helm",
        "--from",
        &reference,
        "--out",
        dev_chart.to_str().unwrap(),
        "--env",
        "dev",
    ];
    let out = floe_for_registry(&root, &dev);
    succeeded("export of an unsigned artifact for dev", &out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("NOT verified"));
    let values = std::fs::read_to_string(dev_chart.join("values-dev.yaml")).unwrap();
    assert!(values.contains(&format!("namespace: {name}")), "{values}");

    let prod_chart = root.join("prod-chart");
    let all = ["export", "helm", "--from", &reference, "--out"];
    let out = floe_for_registry(&root, &[&all[..], &[prod_chart.to_str().unwrap()]].concat());
    assert_eq!(
        out.status.code(),
        Some(6),
        "prod's policy must refuse an unsigned artifact: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!prod_chart.join("Chart.yaml").exists());
}
