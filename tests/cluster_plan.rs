//! `floe plan` against the real local control plane: creates on an empty
//! namespace, an empty plan right after an apply, and the exact actions for a
//! set of edits, cross-checked with `kubectl diff --server-side`.

mod support;

use floe::model::{self, Environment, Product};
use floe::plan::compute::{plan, PlanOptions};
use floe::plan::{Action, Plan};
use floe::render::{self, DesiredSet};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

async fn cluster() -> floe::cluster::Cluster {
    // Fails (never skips) with the harness's message when no cluster is set up.
    support::client().await;
    floe::cluster::connect(Some(&support::kubeconfig_path()), None)
        .await
        .expect("connecting to the test cluster")
}

fn load_example(name: &str, env: Environment, namespace: &str) -> Product {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    let mut product = model::load(&dir, env, None).expect("example loads");
    product.settings.namespace.name = Some(namespace.to_string());
    product
}

fn kubectl(args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    use std::io::Write;
    let mut cmd = Command::new("kubectl");
    cmd.args(args)
        .env("KUBECONFIG", support::kubeconfig_path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("kubectl is installed");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Applies the desired set the way floe's apply does: server-side, field
/// manager `floe`.
fn kubectl_apply(desired: &DesiredSet) {
    let (ok, _, err) = kubectl(
        &["apply", "--server-side", "--field-manager=floe", "-f", "-"],
        Some(&desired.to_yaml()),
    );
    assert!(ok, "kubectl apply failed: {err}");
}

/// The objects `kubectl diff --server-side` says would change, as
/// `kind/name` (lowercase kind), from the temp-file names it diffs.
/// kubectl diff reads the live object and dry-runs the patch in two
/// requests; a controller writing in between (the Deployment controller's
/// revision annotation right after an apply) makes it report a change that
/// is not there. Ask again after a moment before believing it.
fn kubectl_diff_changed(desired: &DesiredSet) -> BTreeSet<String> {
    let mut changed = kubectl_diff_once(desired);
    for _ in 0..2 {
        if changed.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
        let again = kubectl_diff_once(desired);
        changed = changed.intersection(&again).cloned().collect();
    }
    changed
}

fn kubectl_diff_once(desired: &DesiredSet) -> BTreeSet<String> {
    let (_, out, err) = kubectl(
        &[
            "diff",
            "--server-side",
            "--field-manager=floe",
            "--force-conflicts",
            "-f",
            "-",
        ],
        Some(&desired.to_yaml()),
    );
    assert!(!err.contains("error"), "kubectl diff failed: {err}");
    out.lines()
        .filter(|l| l.starts_with("diff -u -N "))
        .filter_map(|l| l.split_whitespace().nth(3))
        .filter_map(|path| {
            // .../LIVE-123/apps.v1.Deployment.ns.name
            let file = path.rsplit('/').next()?;
            let parts: Vec<&str> = file.split('.').collect();
            let kind_pos = parts
                .iter()
                .position(|p| p.chars().next().is_some_and(|c| c.is_ascii_uppercase()))?;
            let name = parts[kind_pos + 2..].join(".");
            Some(format!("{}/{}", parts[kind_pos].to_ascii_lowercase(), name))
        })
        .collect()
}

fn changed(plan: &Plan) -> BTreeSet<String> {
    plan.changes
        .iter()
        .filter(|c| c.is_change())
        .map(|c| c.address.clone())
        .collect()
}

fn actions(plan: &Plan) -> Vec<(String, Action)> {
    plan.changes
        .iter()
        .filter(|c| c.is_change())
        .map(|c| (c.address.clone(), c.action))
        .collect()
}

fn cleanup(namespace: &str) {
    let _ = kubectl(&["delete", "namespace", namespace, "--wait=false"], None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_plans_creates_then_nothing_after_apply() {
    let c = cluster().await;
    for example in ["minimal", "full"] {
        for env in Environment::ALL {
            let ns = support::unique_name(&format!("plan-{example}-{env}"));
            let product = load_example(example, env, &ns);
            let desired = render::render(&product);

            let first = plan(&c, &desired, &PlanOptions::default())
                .await
                .expect("plan");
            assert!(
                first.changes.iter().all(|ch| ch.action == Action::Create),
                "{example}/{env}: an empty namespace should give only creates: {:?}",
                actions(&first)
            );
            assert_eq!(first.summary.add, desired.objects.len());

            kubectl_apply(&desired);
            let second = plan(&c, &desired, &PlanOptions::default())
                .await
                .expect("plan");
            assert!(
                !second.has_changes(),
                "{example}/{env}: a plan right after an apply must be empty, got {:?}\n{}",
                actions(&second),
                floe::plan::format::to_text(&second, false)
            );
            let kubectl_changed = kubectl_diff_changed(&desired);
            assert!(
                kubectl_changed.is_empty(),
                "{example}/{env}: kubectl diff agrees there is nothing to do, but it lists {kubectl_changed:?}"
            );
            cleanup(&ns);
        }
    }
}

/// One edit of the product and the actions floe must plan for it.
struct Edit {
    name: &'static str,
    apply: fn(&mut Product),
    expect: &'static [(&'static str, Action)],
}

fn workload<'a>(p: &'a mut Product, name: &str) -> &'a mut floe::model::WorkloadConfig {
    p.settings.workloads.get_mut(name).expect("workload exists")
}

const EDITS: &[Edit] = &[
    Edit {
        name: "image",
        apply: |p| workload(p, "api").image = Some("registry.example.com/acme/orders:2.3.2".into()),
        expect: &[("deployment/api", Action::Update)],
    },
    Edit {
        name: "replicas",
        apply: |p| workload(p, "daemon").replicas = Some(3),
        expect: &[("statefulset/daemon", Action::Update)],
    },
    Edit {
        name: "probe",
        apply: |p| {
            let probes = workload(p, "api").probes.as_mut().unwrap();
            probes.readiness.as_mut().unwrap().period_seconds = Some(7);
        },
        expect: &[("deployment/api", Action::Update)],
    },
    Edit {
        // The config hash on the pod template rolls the workload.
        name: "config value",
        apply: |p| {
            workload(p, "api")
                .config
                .insert("CACHE_TTL_SECONDS".into(), "600".into());
        },
        expect: &[
            ("configmap/api-config", Action::Update),
            ("deployment/api", Action::Update),
        ],
    },
    Edit {
        // A new Secret reference changes the pod template and what the
        // ServiceAccount's Role may read.
        name: "secret reference",
        apply: |p| {
            workload(p, "daemon")
                .secrets
                .push(floe::model::settings::SecretMount {
                    secret: "daemon-extra".into(),
                    env_from: Some(true),
                    mount_path: None,
                    env: Default::default(),
                    optional: Some(true),
                })
        },
        expect: &[
            ("role/orders", Action::Update),
            ("statefulset/daemon", Action::Update),
        ],
    },
    Edit {
        name: "removed workload",
        apply: |p| workload(p, "scheduled-run").enabled = Some(false),
        expect: &[("cronjob/scheduled-run", Action::Delete)],
    },
    Edit {
        // Renaming a generated ConfigMap: the new one is created, the pods
        // move to it, the old one is pruned.
        name: "renamed configmap",
        apply: |p| {
            let w = p.settings.workloads.remove("code-location").unwrap();
            p.settings.workloads.insert("code-server".into(), w);
            p.settings
                .workloads
                .get_mut("code-server")
                .unwrap()
                .component = Some("code-location".into());
        },
        expect: &[
            ("configmap/code-server-config", Action::Create),
            ("deployment/code-server", Action::Create),
            ("service/code-server", Action::Create),
            ("role/orders", Action::Update),
            ("service/code-location", Action::Delete),
            ("deployment/code-location", Action::Delete),
            ("configmap/code-location-config", Action::Delete),
        ],
    },
    Edit {
        name: "immutable job change",
        apply: |p| workload(p, "dbt-run").args = Some(vec!["dbt".into(), "run".into()]),
        expect: &[("job/dbt-run", Action::Replace)],
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_give_exactly_the_expected_actions_and_agree_with_kubectl_diff() {
    let c = cluster().await;
    let ns = support::unique_name("plan-edits");
    let base = load_example("full", Environment::Dev, &ns);
    let desired = render::render(&base);
    kubectl_apply(&desired);
    assert!(!plan(&c, &desired, &PlanOptions::default())
        .await
        .unwrap()
        .has_changes());

    for edit in EDITS {
        let mut product = base.clone();
        (edit.apply)(&mut product);
        let desired = render::render(&product);
        let p = plan(&c, &desired, &PlanOptions::default())
            .await
            .expect("plan");
        let mut got = actions(&p);
        got.sort();
        let mut want: Vec<(String, Action)> = edit
            .expect
            .iter()
            .map(|(a, x)| (a.to_string(), *x))
            .collect();
        want.sort();
        assert_eq!(
            got,
            want,
            "edit {:?}: wrong actions\n{}",
            edit.name,
            floe::plan::format::to_text(&p, false)
        );

        // kubectl diff sees applies only (no pruning) and reports a replace
        // as a change it cannot make; it must agree on which objects differ.
        let applied: BTreeSet<String> = p
            .changes
            .iter()
            .filter(|c| matches!(c.action, Action::Create | Action::Update))
            .map(|c| c.address.clone())
            .collect();
        if !p.changes.iter().any(|c| c.action == Action::Replace) {
            assert_eq!(
                kubectl_diff_changed(&desired),
                applied,
                "edit {:?}: kubectl diff disagrees",
                edit.name
            );
        }
        let _ = changed(&p);
    }
    cleanup(&ns);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_by_another_manager_is_shown_with_its_name() {
    let c = cluster().await;
    let ns = support::unique_name("plan-drift");
    let product = load_example("minimal", Environment::Dev, &ns);
    let desired = render::render(&product);
    kubectl_apply(&desired);
    let (ok, _, err) = kubectl(
        &[
            "-n",
            &ns,
            "scale",
            "deployment/code-location",
            "--replicas=3",
        ],
        None,
    );
    assert!(ok, "{err}");
    let p = plan(&c, &desired, &PlanOptions::default()).await.unwrap();
    let change = p
        .changes
        .iter()
        .find(|c| c.address == "deployment/code-location")
        .unwrap();
    assert_eq!(change.action, Action::Update);
    assert!(
        change
            .drift
            .iter()
            .any(|d| d.manager == "kubectl" && d.field.contains("replicas")),
        "drift should name kubectl and .spec.replicas: {:?}",
        change.drift
    );
    cleanup(&ns);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruning_data_needs_the_flag_and_the_plan_says_which() {
    let c = cluster().await;
    let ns = support::unique_name("plan-prune");
    let base = load_example("full", Environment::Dev, &ns);
    kubectl_apply(&render::render(&base));
    let mut product = base.clone();
    workload(&mut product, "daemon").enabled = Some(false);
    let desired = render::render(&product);

    let p = plan(&c, &desired, &PlanOptions::default()).await.unwrap();
    let sts = p
        .changes
        .iter()
        .find(|c| c.address == "statefulset/daemon")
        .unwrap();
    assert_eq!(sts.action, Action::Delete);
    assert_eq!(sts.requires_flag.as_deref(), Some("--allow-prune-data"));
    assert!(p.blocked.iter().any(|b| b.contains("--allow-prune-data")));

    let allowed = PlanOptions {
        allow_prune_data: true,
        ..PlanOptions::default()
    };
    let p = plan(&c, &desired, &allowed).await.unwrap();
    assert!(p.blocked.is_empty());
    cleanup(&ns);
}
