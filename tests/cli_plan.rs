//! `floe plan` as a user runs it: the binary, its exit codes, its outputs
//! (`--detailed-exitcode`, `--out`, `--format markdown`) and its errors,
//! against the real local control plane. Each test plans the minimal example
//! in a namespace of its own.
//!
//! Tests that need the cluster fail (never skip) without one: they start with
//! `support::client()`, which panics saying how to start it. The error-path
//! tests (unreachable cluster, missing kubeconfig, invalid input) need no
//! cluster.

mod support;

use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const FLOE: &str = env!("CARGO_BIN_EXE_floe");

/// A copy of examples/minimal in a temp dir, planned into its own namespace.
struct Product {
    dir: PathBuf,
    namespace: String,
    /// Whether the namespace was created in the cluster (and must go).
    applied: std::cell::Cell<bool>,
}

impl Product {
    fn minimal(prefix: &str) -> Product {
        let namespace = support::unique_name(prefix);
        let dir = std::env::temp_dir().join(format!("floe-cli-{namespace}"));
        std::fs::create_dir_all(&dir).unwrap();
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/minimal");
        for file in ["floe.yaml", "manifest.yaml", "floe-deploy.yaml"] {
            std::fs::copy(example.join(file), dir.join(file)).unwrap();
        }
        let product = Product {
            dir,
            namespace,
            applied: std::cell::Cell::new(false),
        };
        product.append_settings(&format!("namespace:\n  name: {}\n", product.namespace));
        product
    }

    fn append_settings(&self, yaml: &str) {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(self.dir.join("floe-deploy.yaml"))
            .unwrap();
        write!(f, "\n{yaml}").unwrap();
    }

    /// `floe <sub> <dir> --env dev <args...>`
    fn floe(&self, sub: &str, args: &[&str]) -> Output {
        floe(
            &[&[sub, self.dir.to_str().unwrap(), "--env", "dev"], args].concat(),
            None,
        )
    }

    /// `floe plan` against the test cluster.
    fn plan(&self, args: &[&str]) -> Output {
        let kubeconfig = support::kubeconfig_path();
        let kubeconfig = kubeconfig.to_str().unwrap();
        self.floe("plan", &[&["--kubeconfig", kubeconfig], args].concat())
    }

    /// Applies what `floe render` prints the way floe's apply does:
    /// server-side, field manager `floe`.
    fn kubectl_apply(&self, extra: &[&str]) {
        let rendered = self.floe("render", extra);
        assert_eq!(code(&rendered), 0, "render: {}", stderr(&rendered));
        self.applied.set(true);
        let applied = kubectl(
            &["apply", "--server-side", "--field-manager=floe", "-f", "-"],
            Some(&rendered.stdout),
        );
        assert!(
            applied.status.success(),
            "kubectl apply failed: {}",
            stderr(&applied)
        );
    }

    /// Number of objects `floe render` prints.
    fn object_count(&self) -> usize {
        let rendered = self.floe("render", &["-o", "json"]);
        assert_eq!(code(&rendered), 0, "render: {}", stderr(&rendered));
        let list: Value = serde_json::from_slice(&rendered.stdout).unwrap();
        list["items"].as_array().unwrap().len()
    }
}

impl Drop for Product {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if self.applied.get() {
            let _ = kubectl(
                &["delete", "namespace", &self.namespace, "--wait=false"],
                None,
            );
        }
    }
}

/// Runs the floe binary with a clean environment (no KUBECONFIG of the user's).
fn floe(args: &[&str], stdin: Option<&[u8]>) -> Output {
    run(
        Command::new(FLOE)
            .args(args)
            .env_remove("KUBECONFIG")
            .env_remove("FLOE_KUBECONFIG")
            .env_remove("FLOE_ENV")
            .env("NO_COLOR", "1"),
        stdin,
    )
}

fn kubectl(args: &[&str], stdin: Option<&[u8]>) -> Output {
    run(
        Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", support::kubeconfig_path()),
        stdin,
    )
}

fn run(cmd: &mut Command, stdin: Option<&[u8]>) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let mut input = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        input.write_all(bytes).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed by a signal")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Fails with the harness's message when there is no test cluster.
async fn require_cluster() {
    support::client().await;
}

/// A kubeconfig for a server at `server`, with a dummy token.
fn kubeconfig_for(dir: &Path, server: &str) -> PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\n\
             clusters:\n- name: c\n  cluster:\n    server: {server}\n    insecure-skip-tls-verify: true\n\
             users:\n- name: u\n  user:\n    token: not-a-real-token\n\
             contexts:\n- name: x\n  context:\n    cluster: c\n    user: u\n\
             current-context: x\n"
        ),
    )
    .unwrap();
    path
}

#[tokio::test]
async fn detailed_exitcode_is_2_with_changes_and_0_without() {
    require_cluster().await;
    let p = Product::minimal("cli-exitcode");
    let objects = p.object_count();

    let first = p.plan(&["--detailed-exitcode"]);
    assert_eq!(code(&first), 2, "stderr: {}", stderr(&first));
    assert!(
        stdout(&first).contains(&format!(
            "Plan: {objects} to add, 0 to change, 0 to replace, 0 to destroy."
        )),
        "{}",
        stdout(&first)
    );
    // Without the flag, changes are not a failure.
    let plain = p.plan(&[]);
    assert_eq!(code(&plain), 0, "stderr: {}", stderr(&plain));

    p.kubectl_apply(&[]);
    let after = p.plan(&["--detailed-exitcode"]);
    assert_eq!(
        code(&after),
        0,
        "a plan right after the apply must be empty:\n{}\n{}",
        stdout(&after),
        stderr(&after)
    );
    assert!(
        stdout(&after).starts_with("No changes."),
        "{}",
        stdout(&after)
    );
    assert!(
        stdout(&after).contains("Plan: 0 to add, 0 to change, 0 to replace, 0 to destroy."),
        "{}",
        stdout(&after)
    );

    // One change after the apply: 2 again.
    let changed = p.plan(&[
        "--detailed-exitcode",
        "--image",
        "registry.example.com/acme/customer-analytics:1.0.1",
    ]);
    assert_eq!(code(&changed), 2, "stderr: {}", stderr(&changed));
    assert!(
        stdout(&changed).contains("to change"),
        "{}",
        stdout(&changed)
    );
}

#[tokio::test]
async fn out_saves_the_plan_as_versioned_json_with_what_it_saw() {
    require_cluster().await;
    let p = Product::minimal("cli-out");
    p.kubectl_apply(&[]);
    let path = p.dir.join("plan.json");
    let out = p.plan(&[
        "--out",
        path.to_str().unwrap(),
        "--image",
        "registry.example.com/acme/customer-analytics:1.0.1",
    ]);
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert!(
        stderr(&out).contains("Saved the plan to"),
        "{}",
        stderr(&out)
    );
    // --out saves JSON; stdout still has the requested (text) rendering.
    assert!(stdout(&out).contains("to change"), "{}", stdout(&out));

    let plan: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).expect("--out writes JSON");
    assert_eq!(plan["format_version"], 2);
    assert_eq!(plan["product"], "customer-analytics");
    // The plan is bound to this floe, the product's files and where they are.
    let binding = &plan["binding"];
    assert_eq!(binding["floe_version"], env!("CARGO_PKG_VERSION"));
    assert!(binding["input_digest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    let dir = std::fs::canonicalize(&p.dir).unwrap();
    assert_eq!(binding["directory"], dir.to_str().unwrap());
    assert_eq!(binding["options"]["allow_prune_data"], false);
    assert_eq!(plan["environment"], "dev");
    assert_eq!(plan["namespace"], p.namespace.as_str());

    // The cluster identity is the kube-system namespace's UID.
    let uid = plan["cluster"]["kube_system_uid"].as_str().unwrap();
    assert!(!uid.is_empty());
    let kube_system = kubectl(
        &[
            "get",
            "namespace",
            "kube-system",
            "-o",
            "jsonpath={.metadata.uid}",
        ],
        None,
    );
    assert_eq!(uid, stdout(&kube_system));
    assert!(plan["cluster"]["server"]
        .as_str()
        .unwrap()
        .starts_with("https://127.0.0.1:"));

    let digest = plan["desired_digest"].as_str().unwrap();
    assert!(!digest.is_empty());

    // Every object that exists carries the resourceVersion it was planned at.
    let changes = plan["changes"].as_array().unwrap();
    assert_eq!(changes.len(), p.object_count());
    for c in changes {
        assert!(
            c["before"].is_object(),
            "{} exists after the apply",
            c["address"]
        );
        let rv = c["live_resource_version"].as_str().unwrap_or_default();
        assert!(
            !rv.is_empty(),
            "{} has no live_resource_version",
            c["address"]
        );
        let steps = match c["action"].as_str().unwrap() {
            "no_op" => json!(["no-op"]),
            "replace" => json!(["delete", "create"]),
            other => json!([other]),
        };
        assert_eq!(c["actions"], steps, "{}", c["address"]);
    }
    // A Job's pod template is immutable: the new image replaces it, spelled
    // as a delete then a create, with the reason.
    let job = changes
        .iter()
        .find(|c| c["address"] == "job/dbt-run")
        .expect("the dbt-run Job is in the plan");
    assert_eq!(job["action"], "replace");
    assert!(job["replace_reason"]
        .as_str()
        .is_some_and(|r| !r.is_empty()));
    assert_eq!(plan["summary"]["replace"], 1);
    let updated: Vec<&str> = changes
        .iter()
        .filter(|c| c["action"] == "update")
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    assert!(
        updated.contains(&"deployment/code-location"),
        "the image change updates the code location: {updated:?}"
    );
    assert_eq!(plan["summary"]["add"], 0);
    assert_eq!(plan["summary"]["change"], updated.len());
    assert!(!plan["edges"].as_array().unwrap().is_empty());

    // --format json prints the same document (the digest of the same input
    // is the same); another input has another digest.
    let json = p.plan(&[
        "--format",
        "json",
        "--image",
        "registry.example.com/acme/customer-analytics:1.0.1",
    ]);
    assert_eq!(code(&json), 0, "stderr: {}", stderr(&json));
    let printed: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(printed["desired_digest"], digest);
    let unchanged = p.plan(&["--format", "json"]);
    let unchanged: Value = serde_json::from_slice(&unchanged.stdout).unwrap();
    assert_ne!(unchanged["desired_digest"], digest);
    assert_eq!(unchanged["summary"]["change"], 0);
}

#[tokio::test]
async fn a_hand_made_object_is_shown_as_an_adoption_and_applied_only_with_the_flag() {
    require_cluster().await;
    let p = Product::minimal("cli-adopt");
    p.applied.set(true);
    let ns = p.namespace.as_str();
    let made = kubectl(&["create", "namespace", ns], None);
    assert!(made.status.success(), "{}", stderr(&made));
    let made = kubectl(
        &[
            "-n",
            ns,
            "create",
            "configmap",
            "floe-platform",
            "--from-literal=FLOE_ENVIRONMENT=by-hand",
        ],
        None,
    );
    assert!(made.status.success(), "{}", stderr(&made));
    let version = || {
        let out = kubectl(
            &[
                "-n",
                ns,
                "get",
                "configmap",
                "floe-platform",
                "-o",
                "jsonpath={.metadata.resourceVersion}/{.metadata.labels}",
            ],
            None,
        );
        stdout(&out)
    };
    let before = version();

    let out = p.plan(&[]);
    let text = stdout(&out);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    for line in [
        "Symbols: + create, ~ update, -/+ replace, - destroy, <= adopt",
        "  <= configmap/floe-platform will be adopted",
        "      # not made by floe; written by: kubectl-create",
        "      # drift: .data.FLOE_ENVIRONMENT is set by \"kubectl-create\"; floe will take it over",
        "      # blocked: needs --adopt",
        "Blocked: configmap/floe-platform exists in the cluster without floe's labels (written by kubectl-create): pass --adopt to take it over",
        ", 2 to adopt.",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }

    let kubeconfig = support::kubeconfig_path();
    let kubeconfig = kubeconfig.to_str().unwrap();
    let refused = p.floe("deploy", &["--kubeconfig", kubeconfig, "-y"]);
    assert_eq!(code(&refused), 1, "{}", stdout(&refused));
    assert!(stderr(&refused).contains("--adopt"), "{}", stderr(&refused));
    assert_eq!(version(), before, "nothing was written");

    let adopted = p.floe("deploy", &["--kubeconfig", kubeconfig, "-y", "--adopt"]);
    assert_eq!(
        code(&adopted),
        0,
        "{}\n{}",
        stdout(&adopted),
        stderr(&adopted)
    );
    assert!(
        stdout(&adopted).contains(", 2 adopted in "),
        "{}",
        stdout(&adopted)
    );
    assert!(
        version().contains("\"floe.dev/product\":\"customer-analytics\""),
        "{}",
        version()
    );
}

#[tokio::test]
async fn markdown_has_the_title_and_the_summary_line() {
    require_cluster().await;
    let p = Product::minimal("cli-markdown");
    let objects = p.object_count();
    let out = p.plan(&["--format", "markdown"]);
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let md = stdout(&out);
    assert!(
        md.starts_with("## floe plan: customer-analytics 1.0.0"),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "**Plan: {objects} to add, 0 to change, 0 to replace, 0 to destroy.**"
        )),
        "{md}"
    );
    assert!(md.contains("| Action | Object | Note |"), "{md}");
    assert!(md.contains("`deployment/code-location`"), "{md}");
    // A small plan fits one comment: no split marker.
    assert!(!md.contains("<!-- floe:part -->"), "{md}");
}

#[test]
fn an_unreachable_cluster_exits_8_with_an_error_and_a_hint() {
    let p = Product::minimal("cli-unreachable");
    let kubeconfig = kubeconfig_for(&p.dir, "https://127.0.0.1:1");
    let out = p.floe(
        "plan",
        &[
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&out), 8, "stderr: {}", stderr(&out));
    assert!(out.stdout.is_empty(), "stdout: {}", stdout(&out));
    let err = stderr(&out);
    assert!(err.starts_with("Error: "), "{err}");
    assert!(err.contains("127.0.0.1:1"), "names the server: {err}");
    assert!(err.contains("hint: "), "{err}");
}

#[test]
fn a_missing_kubeconfig_exits_3() {
    let p = Product::minimal("cli-no-kubeconfig");
    let missing = p.dir.join("no-such-kubeconfig");
    let out = p.floe("plan", &["--kubeconfig", missing.to_str().unwrap()]);
    assert_eq!(code(&out), 3, "stderr: {}", stderr(&out));
    assert!(out.stdout.is_empty(), "stdout: {}", stdout(&out));
    let err = stderr(&out);
    assert!(err.starts_with("Error: "), "{err}");
    assert!(err.contains("no-such-kubeconfig"), "{err}");
    assert!(err.contains("hint: "), "{err}");
}

#[test]
fn invalid_input_exits_5_before_touching_the_cluster() {
    let p = Product::minimal("cli-invalid");
    p.append_settings("workloads:\n  code-location:\n    replicaz: 3\n");
    // A "cluster" that records whether anyone connected.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let server = format!("https://{}", listener.local_addr().unwrap());
    let kubeconfig = kubeconfig_for(&p.dir, &server);
    let out = p.floe("plan", &["--kubeconfig", kubeconfig.to_str().unwrap()]);
    assert_eq!(code(&out), 5, "stderr: {}", stderr(&out));
    assert!(out.stdout.is_empty(), "stdout: {}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("replicaz"), "names the bad key: {err}");
    assert!(err.contains("Error: validation failed"), "{err}");
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        Ok((_, peer)) => panic!("floe connected to the cluster ({peer}) despite invalid input"),
        Err(e) => panic!("accept: {e}"),
    }
}
