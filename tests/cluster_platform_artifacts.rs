//! The floe platform's own registry inputs, against the real registry,
//! cosign and the local control plane: a product compiled by the platform
//! (CompiledArtifacts, fixtures/platform/compiled) deploys from its
//! artifact; a quickstart whose floe.yaml names its platform manifest by
//! `oci://` reference (fixtures/platform/quickstart-oci-manifest) deploys
//! with that manifest pulled by digest and its own signature checked.

mod support;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::oci::{key_pair, key_policy, registry, sign};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/platform")
        .join(name)
}

/// One test's scratch space: a unique name (its product, namespace and
/// repositories), a directory and an artifact cache. The namespace is
/// deleted at the end.
struct Scratch {
    name: String,
    root: PathBuf,
    client: kube::Client,
}

impl Scratch {
    async fn new(prefix: &str) -> Scratch {
        let name = support::unique_name(prefix);
        let root = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&root).unwrap();
        Scratch {
            client: support::client().await,
            name,
            root,
        }
    }

    fn reference(&self, repository: &str, tag: &str) -> String {
        format!("oci://{}/floe/{}-{repository}:{tag}", registry(), self.name)
    }

    fn floe(&self, args: &[&str]) -> Output {
        support::oci::floe_command(&self.root, &self.root.join("cache"))
            .args(args)
            .output()
            .expect("running floe")
    }

    /// Runs floe, expecting `code`; returns stdout and stderr.
    fn expect(&self, code: i32, args: &[&str]) -> (String, String) {
        let out = self.floe(args);
        let (stdout, stderr) = text(&out);
        assert_eq!(
            out.status.code(),
            Some(code),
            "floe {}:\n{stdout}\n{stderr}",
            args.join(" ")
        );
        (stdout, stderr)
    }

    fn api<K>(&self, namespace: &str) -> kube::Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        kube::Api::namespaced(self.client.clone(), namespace)
    }

    fn namespace_exists(&self, namespace: &str) -> bool {
        Command::new("kubectl")
            .args(["get", "namespace", namespace])
            .env("KUBECONFIG", support::kubeconfig_path())
            .output()
            .unwrap()
            .status
            .success()
    }

    /// The compiled fixture as `<name>`, version `version`, written under
    /// the scratch root; returns its path.
    fn compiled(&self, version: &str) -> PathBuf {
        let text = std::fs::read_to_string(fixture("compiled").join("compiled_artifacts.json"));
        let mut compiled: Value = serde_json::from_str(&text.unwrap()).unwrap();
        compiled["version"] = json!(version);
        compiled["metadata"]["product_name"] = json!(self.name);
        let path = self.root.join(format!("compiled-{version}.json"));
        std::fs::write(&path, serde_json::to_vec_pretty(&compiled).unwrap()).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for ns in [self.name.clone(), format!("{}-dev", self.name)] {
            let _ = Command::new("kubectl")
                .args(["delete", "namespace", &ns, "--wait=false"])
                .env("KUBECONFIG", support::kubeconfig_path())
                .output();
        }
    }
}

/// The quickstart product as `<name>`, naming the scratch's platform
/// manifest repository, deploying to namespace `<name>`.
fn quickstart(s: &Scratch) -> PathBuf {
    let dir = s.root.join("product");
    std::fs::create_dir_all(&dir).unwrap();
    let read = |file: &str| {
        std::fs::read_to_string(fixture("quickstart-oci-manifest").join(file)).unwrap()
    };
    let spec = read("floe.yaml")
        .replace(
            "oci://registry.example.com/floe/platform:v1",
            &s.reference("platform", "v1"),
        )
        .replace("name: quickstart", &format!("name: {}", s.name));
    std::fs::write(dir.join("floe.yaml"), spec).unwrap();
    let settings = format!(
        "{}namespace:\n  name: {}\n",
        read("floe-deploy.yaml"),
        s.name
    );
    std::fs::write(dir.join("floe-deploy.yaml"), settings).unwrap();
    dir
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A CompiledArtifacts artifact, published with deployment settings,
/// deploys and plans empty afterwards; published alone it names no image
/// and deploys with --image (which an artifact with settings refuses).
#[tokio::test]
async fn a_compiled_artifacts_artifact_deploys_and_plans_empty_afterwards() {
    let s = Scratch::new("compiled").await;
    let settings = s.root.join("floe-deploy.yaml");
    std::fs::write(
        &settings,
        format!(
            "image: registry.example.com/sales/sales-insights:1.2.0\nnamespace:\n  name: {}\n",
            s.name
        ),
    )
    .unwrap();
    let compiled = s.compiled("0.8.2");
    let reference = s.reference("compiled", "1.2.0");
    let (c, st) = (compiled.to_str().unwrap(), settings.to_str().unwrap());
    let (pinned, _) = s.expect(
        0,
        &[
            "artifact",
            "push",
            "--compiled",
            c,
            "--settings",
            st,
            &reference,
        ],
    );
    let (_, pulled) = s.expect(0, &["artifact", "pull", pinned.trim()]);
    assert!(pulled.contains("Pulled"), "{pulled}");

    let (stdout, stderr) = s.expect(0, &["deploy", &reference, "--env", "dev", "-y"]);
    assert!(stdout.contains("Apply complete!"), "{stdout}\n{stderr}");
    let deployment = s.api::<Deployment>(&s.name).get("code-location").await;
    let labels = deployment.unwrap().metadata.labels.unwrap();
    assert_eq!(labels["floe.dev/product"], s.name);
    assert_eq!(labels["app.kubernetes.io/version"], "1.2.0");
    let platform = s.api::<ConfigMap>(&s.name).get("floe-platform").await;
    let data = platform.unwrap().data.unwrap();
    assert_eq!(
        data["OTEL_EXPORTER_OTLP_ENDPOINT"],
        "http://otel-collector.observability.svc:4317"
    );
    assert!(data["platform.json"].contains("fct_sales"));

    let (stdout, _) = s.expect(0, &["plan", &reference, "--env", "dev"]);
    assert!(stdout.contains("No changes."), "{stdout}");
    let (history, _) = s.expect(0, &["history", &reference, "--env", "dev"]);
    assert!(history.contains(pinned.trim()), "{history}");

    // With its settings published, an artifact takes no --image.
    let (_, stderr) = s.expect(
        2,
        &[
            "deploy",
            &reference,
            "--env",
            "dev",
            "-y",
            "--image",
            "x.example/y:1",
        ],
    );
    assert!(
        stderr.contains("an artifact deploys exactly what was published"),
        "{stderr}"
    );

    // Alone (as the platform's registry holds it) it names no image: the
    // deploy gives one, into the default namespace <product>-<env>.
    let alone = s.reference("alone", "1.2.0");
    s.expect(0, &["artifact", "push", "--compiled", c, &alone]);
    let (stdout, stderr) = s.expect(
        0,
        &[
            "deploy",
            &alone,
            "--env",
            "dev",
            "-y",
            "--image",
            "registry.example.com/sales/app:1.2.0",
        ],
    );
    assert!(stdout.contains("Apply complete!"), "{stdout}\n{stderr}");
    let dev = format!("{}-dev", s.name);
    let deployment = s
        .api::<Deployment>(&dev)
        .get("code-location")
        .await
        .unwrap();
    let image = deployment.spec.unwrap().template.spec.unwrap().containers[0]
        .image
        .clone();
    assert_eq!(
        image.as_deref(),
        Some("registry.example.com/sales/app:1.2.0")
    );
}

/// A CompiledArtifacts file of another major version is refused at push,
/// and an artifact holding one (pushed by other means) at deploy: exit 5,
/// naming both versions, nothing applied.
#[tokio::test]
async fn a_compiled_artifacts_major_version_mismatch_exits_5_naming_both() {
    let s = Scratch::new("compiled-major").await;
    let compiled = s.compiled("1.0.0");
    let reference = s.reference("compiled", "2.0.0");
    let named = "CompiledArtifacts version 1.0.0 is a major version this floe does not read (it reads 0.x, up to 0.10.0)";
    let (_, stderr) = s.expect(
        5,
        &[
            "artifact",
            "push",
            "--compiled",
            compiled.to_str().unwrap(),
            &reference,
        ],
    );
    assert!(stderr.contains(named), "{stderr}");

    let settings = format!(
        "image: registry.example.com/x:1\nnamespace:\n  name: {}\n",
        s.name
    );
    let artifact = floe::oci::prepare_compiled(
        std::fs::read(&compiled).unwrap(),
        Some(settings.into_bytes()),
        (&s.name, "2.0.0"),
        None,
    );
    let parsed = floe::oci::ArtifactRef::parse(&reference).unwrap();
    let options = floe::oci::RegistryOptions {
        plain_http: true,
        ..Default::default()
    };
    let registry = floe::oci::Registry::for_ref(&parsed, &options).unwrap();
    registry.push(&parsed, &artifact).await.expect("push");
    let (_, stderr) = s.expect(5, &["deploy", &reference, "--env", "dev", "-y"]);
    assert!(stderr.contains(named), "{stderr}");
    assert!(!s.namespace_exists(&s.name), "nothing may be applied");
}

/// The quickstart names its platform manifest by `oci://` reference. The
/// manifest is pulled by digest and its own signature checked under the
/// policy: unsigned under `enforce` it is refused (exit 6, nothing
/// applied); signed, the product deploys (from its directory, from a saved
/// plan, from its own artifact) and the revision records the manifest's
/// digest.
#[tokio::test]
async fn a_quickstart_naming_its_manifest_by_oci_reference_deploys() {
    let s = Scratch::new("quickstart").await;
    let dir = quickstart(&s);
    let manifest_ref = s.reference("platform", "v1");
    let published = fixture("quickstart-oci-manifest").join("published-manifest.yaml");
    let (pinned, _) = s.expect(
        0,
        &[
            "artifact",
            "push",
            "--platform-manifest",
            published.to_str().unwrap(),
            &manifest_ref,
        ],
    );
    let pinned = pinned.trim().to_string();
    let digest = pinned.rsplit('@').next().unwrap().to_string();
    let keys = key_pair(&s.root.join("keys"));
    let policy = key_policy(&s.root.join("policy.yaml"), &keys, "enforce");
    let d = dir.to_str().unwrap();

    // Read only (validate): pulled, not checked.
    let (stdout, stderr) = s.expect(0, &["validate", d, "--env", "dev"]);
    assert!(stdout.contains("is valid for dev"), "{stdout}");
    assert!(
        stderr.contains(&digest) && stderr.contains("not checked"),
        "{stderr}"
    );

    let (_, stderr) = s.expect(6, &["deploy", d, "--env", "dev", "-y", "--policy", &policy]);
    assert!(
        stderr.contains(&format!("refusing {manifest_ref} ({digest})"))
            && stderr.contains("it is not signed"),
        "{stderr}"
    );
    assert!(!s.namespace_exists(&s.name), "nothing may be applied");

    sign(&pinned, &keys, &["--new-bundle-format=false"]);
    let plan_file = s.root.join("plan.json");
    let p = plan_file.to_str().unwrap();
    s.expect(
        0,
        &["plan", d, "--env", "dev", "--policy", &policy, "--out", p],
    );
    let (stdout, stderr) = s.expect(0, &["apply", p, "-y", "--policy", &policy]);
    assert!(stdout.contains("Apply complete!"), "{stdout}\n{stderr}");
    assert!(stderr.contains("Signature: verified"), "{stderr}");
    let platform = s
        .api::<ConfigMap>(&s.name)
        .get("floe-platform")
        .await
        .unwrap();
    let data = platform.data.unwrap();
    assert_eq!(
        data["OTEL_EXPORTER_OTLP_ENDPOINT"],
        "http://otel-collector.floe.svc:4317"
    );
    assert!(
        data["platform.json"].contains("quickstart"),
        "the manifest's catalog config"
    );

    let (history, _) = s.expect(0, &["history", d, "--env", "dev", "--format", "json"]);
    let history: Value = serde_json::from_str(&history).unwrap();
    let record = &history.as_array().unwrap()[0];
    let source = record["source"].as_str().unwrap();
    assert!(
        source.ends_with(&format!("; platform manifest {pinned}")),
        "{record}"
    );
    let signature = record["signature"].as_str().unwrap();
    assert!(
        signature.starts_with(&format!("platform manifest verified {digest}")),
        "{record}"
    );
    let (stdout, _) = s.expect(0, &["plan", d, "--env", "dev", "--policy", &policy]);
    assert!(stdout.contains("No changes."), "{stdout}");

    // The product as an artifact: the manifest is not carried, the deploy
    // pulls and checks it.
    let product_ref = s.reference("product", "0.1.0");
    let (product_pinned, _) = s.expect(0, &["artifact", "push", d, &product_ref]);
    sign(product_pinned.trim(), &keys, &["--new-bundle-format=false"]);
    let (stdout, stderr) = s.expect(
        0,
        &[
            "deploy",
            &product_ref,
            "--env",
            "dev",
            "-y",
            "--policy",
            &policy,
        ],
    );
    assert!(
        stdout.contains("No changes.") || stdout.contains("Apply complete!"),
        "{stdout}"
    );
    assert!(
        stderr.contains(&format!("Platform manifest {manifest_ref} is {digest}")),
        "{stderr}"
    );
}

/// A saved plan is bound to the platform manifest it was made with: the
/// tag moved to another manifest (even one that renders the same objects)
/// is refused, naming the manifest, and nothing is applied.
#[tokio::test]
async fn a_saved_plan_is_bound_to_its_oci_platform_manifest() {
    let s = Scratch::new("quickstart-bound").await;
    let dir = quickstart(&s);
    let d = dir.to_str().unwrap();
    let manifest_ref = s.reference("platform", "v1");
    let published = fixture("quickstart-oci-manifest").join("published-manifest.yaml");
    let keys = key_pair(&s.root.join("keys"));
    let policy = key_policy(&s.root.join("policy.yaml"), &keys, "enforce");
    let push_signed = |file: &Path| {
        let (pinned, _) = s.expect(
            0,
            &[
                "artifact",
                "push",
                "--platform-manifest",
                file.to_str().unwrap(),
                &manifest_ref,
            ],
        );
        sign(pinned.trim(), &keys, &["--new-bundle-format=false"]);
        pinned.trim().to_string()
    };
    push_signed(&published);
    let plan_file = s.root.join("plan.json");
    let p = plan_file.to_str().unwrap();
    s.expect(
        0,
        &["plan", d, "--env", "dev", "--policy", &policy, "--out", p],
    );

    let republished = s.root.join("republished.yaml");
    let text = std::fs::read_to_string(&published).unwrap();
    std::fs::write(&republished, format!("# republished\n{text}")).unwrap();
    let now = push_signed(&republished);
    let (_, stderr) = s.expect(1, &["apply", p, "-y", "--policy", &policy]);
    assert!(
        stderr.contains(&format!(
            "or the platform manifest (now {now}) changed since the plan was made"
        )),
        "{stderr}"
    );
    assert!(!s.namespace_exists(&s.name), "nothing may be applied");
}
