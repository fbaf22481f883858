//! The apply-side commands as a user runs them: deploy, apply of a saved
//! plan, approval, history, status, unlock, undo, and Ctrl-C.

mod support;

use std::time::Duration;

use std::path::PathBuf;
use std::process::{Command, Output};

fn product_dir(prefix: &str) -> (PathBuf, String) {
    let ns = support::unique_name(prefix);
    let dir = std::env::temp_dir().join(&ns);
    support::minimal_product_in(&dir, &ns);
    (dir, ns)
}

use support::floe;

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn namespace_exists(ns: &str) -> bool {
    Command::new("kubectl")
        .args(["get", "namespace", ns])
        .env("KUBECONFIG", support::kubeconfig_path())
        .output()
        .unwrap()
        .status
        .success()
}

fn cleanup(ns: &str) {
    let _ = Command::new("kubectl")
        .args(["delete", "namespace", ns, "--wait=false"])
        .env("KUBECONFIG", support::kubeconfig_path())
        .output();
}

#[tokio::test]
async fn without_a_terminal_apply_refuses_unless_auto_approved() {
    support::client().await;
    let (dir, ns) = product_dir("cli-approve");
    let d = dir.to_str().unwrap();
    let out = floe(&["apply", d, "--env", "dev"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stdout.contains("Plan: 11 to add"),
        "the plan is shown first: {stdout}"
    );
    assert!(
        stderr.contains("Error: no terminal to ask for approval; nothing was applied"),
        "{stderr}"
    );
    assert!(stderr.contains("--auto-approve"), "{stderr}");
    assert!(!namespace_exists(&ns), "nothing may be applied");
    cleanup(&ns);
}

#[tokio::test]
async fn deploy_history_status_unlock_undo() {
    support::client().await;
    let (dir, ns) = product_dir("cli-deploy");
    let d = dir.to_str().unwrap();

    let out = floe(&["deploy", d, "--env", "dev", "-y"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Apply complete! 11 created, 0 updated, 0 replaced, 0 destroyed"),
        "{stdout}"
    );
    assert!(stdout.contains("Recorded as revision 1."), "{stdout}");
    assert!(
        stderr.contains("deployment/code-location created, ready after"),
        "per-object lines: {stderr}"
    );

    let out = floe(&["deploy", d, "--env", "dev", "-y"]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout.contains("No changes.") && stdout.contains("Nothing to apply."),
        "{stdout}"
    );

    let out = floe(&[
        "deploy",
        d,
        "--env",
        "dev",
        "-y",
        "--image",
        "registry.example.com/acme/customer-analytics:1.0.1",
        "--format",
        "json",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON event per line"))
        .collect();
    assert!(events
        .iter()
        .any(|e| e["event"] == "done" && e["address"] == "deployment/code-location"));
    let last = events.last().unwrap();
    assert_eq!(last["event"], "finished");
    assert_eq!(last["succeeded"], true);
    assert_eq!(last["revision"], 2);

    let out = floe(&["history", d, "--env", "dev"]);
    let (stdout, _) = text(&out);
    assert!(stdout.starts_with("REVISION"), "{stdout}");
    assert_eq!(
        stdout.lines().filter(|l| l.contains("succeeded")).count(),
        2,
        "{stdout}"
    );

    let out = floe(&["status", d, "--env", "dev"]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("deployment/code-location") && stdout.contains("ready"),
        "{stdout}"
    );

    let out = floe(&["unlock", d, "--env", "dev"]);
    assert!(text(&out).0.contains("was not locked"));

    // A live lock (an apply may be running) is left alone without --force.
    let c = floe::cluster::connect(Some(&support::kubeconfig_path()), None)
        .await
        .expect("connecting");
    let held = floe::state::Lock::acquire(&c, &ns, "erin@busy (pid 5)", Duration::from_secs(60))
        .await
        .expect("a live lock");
    // A deploy meanwhile is refused, saying once who holds the lock and
    // once (as the hint) what to do.
    let out = floe(&[
        "deploy",
        d,
        "--env",
        "dev",
        "-y",
        "--lock-timeout",
        "1",
        "--image",
        "registry.example.com/acme/customer-analytics:1.0.2",
    ]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("namespace {ns} is locked by erin@busy (pid 5)")),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("floe unlock").count(),
        1,
        "said twice: {stderr}"
    );
    let out = floe(&["unlock", d, "--env", "dev"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is live: erin@busy (pid 5) holds it"),
        "{stderr}"
    );
    assert!(stderr.contains("--force"), "{stderr}");
    let out = floe(&["unlock", d, "--env", "dev", "--force", "-y"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("(held by erin@busy (pid 5))"), "{stdout}");
    drop(held);

    let out = floe(&["undo", d, "--env", "dev", "-y"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("Recorded as revision 3."), "{stdout}");
    let out = floe(&["history", d, "--env", "dev"]);
    assert!(text(&out).0.contains("undo to revision 1"));
    cleanup(&ns);
}

#[tokio::test]
async fn destroy_is_blocked_without_its_flag_and_then_deletes_the_namespace() {
    support::client().await;
    let (dir, ns) = product_dir("cli-destroy");
    let d = dir.to_str().unwrap();
    let out = floe(&["deploy", d, "--env", "dev", "-y"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);

    let out = floe(&["destroy", d, "--env", "dev", "-y"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("  - namespace/{ns} will be destroyed")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "Blocked: namespace/{ns} would be destroyed: pass --allow-prune-namespace to allow it"
        )),
        "{stdout}"
    );
    assert!(stdout.contains("Plan: 0 to add, 0 to change, 0 to replace, 11 to destroy."));
    assert!(
        stderr.contains("Error: the plan destroys objects that need an explicit flag"),
        "{stderr}"
    );
    let status = floe(&["status", d, "--env", "dev"]);
    assert_eq!(
        status.status.code(),
        Some(0),
        "nothing was deleted: {}",
        text(&status).0
    );

    let out = floe(&[
        "destroy",
        d,
        "--env",
        "dev",
        "-y",
        "--allow-prune-namespace",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Apply complete! 0 created, 0 updated, 0 replaced, 11 destroyed in"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "namespace/{ns} is deleted, and floe's records of it with it."
        )),
        "{stdout}"
    );
    assert!(
        !namespace_exists(&ns),
        "destroy waits until the namespace is gone"
    );

    let out = floe(&["destroy", d, "--env", "dev", "-y"]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.contains("Nothing to apply."), "{stdout}");
}

#[tokio::test]
async fn a_saved_plan_applies_once_and_is_refused_when_stale() {
    support::client().await;
    let (dir, ns) = product_dir("cli-saved");
    let d = dir.to_str().unwrap();
    let plan_file = dir.join("plan.json");
    let p = plan_file.to_str().unwrap();

    let out = floe(&["plan", d, "--env", "dev", "--out", p]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    let out = floe(&["apply", p, "-y"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("Apply complete!"));

    // Applying the same saved plan again: the cluster has moved (it was
    // applied), so it is refused and nothing happens.
    let out = floe(&["apply", p, "-y"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("Error: the saved plan is stale and was not applied"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: make a new plan"), "{stderr}");
    cleanup(&ns);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_apply_is_recorded_and_a_rerun_converges() {
    use floe::apply::session;
    use floe::apply::{ApplyOptions, Silent};
    use floe::plan::compute::{plan, PlanOptions};
    support::client().await;
    let c = floe::cluster::connect(Some(&support::kubeconfig_path()), None)
        .await
        .unwrap();
    let (dir, _) = product_dir("cli-interrupt");
    let product = floe::model::load(&dir, floe::model::Environment::Dev, None).unwrap();
    let mut desired = floe::render::render(&product);
    // Never ready: the apply would wait; Ctrl-C arrives meanwhile.
    for o in desired
        .objects
        .iter_mut()
        .filter(|o| o.kind == "Deployment")
    {
        if let Some(serde_json::Value::Object(labels)) =
            o.body.pointer_mut("/spec/template/metadata/labels")
        {
            labels.insert(support::FAULT_LABEL.into(), "never-ready".into());
        }
    }
    let planned = plan(&c, &desired, &PlanOptions::default()).await.unwrap();
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        let _ = tx.send(true);
    });
    let opts = session::SessionOptions {
        apply: ApplyOptions {
            object_timeout: std::time::Duration::from_secs(120),
            ..ApplyOptions::default()
        },
        ..session::SessionOptions::default()
    };
    let report = session::run(&c, &planned, &opts, &Silent, rx)
        .await
        .unwrap();
    assert!(report.report.interrupted);
    let history = floe::state::History::new(&c, &desired.namespace, &desired.product, "dev");
    let revisions = history.list().await.unwrap();
    assert_eq!(
        revisions[0].outcome,
        floe::state::RevisionOutcome::Interrupted
    );
    assert!(
        revisions[0]
            .objects
            .iter()
            .any(|o| o.result.contains("interrupted")),
        "the revision says how far it got: {:?}",
        revisions[0].objects
    );
    // The lock was released: a re-run (without the fault) converges.
    let clean = floe::render::render(&product);
    let planned = plan(&c, &clean, &PlanOptions::default()).await.unwrap();
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let report = session::run(
        &c,
        &planned,
        &session::SessionOptions::default(),
        &Silent,
        rx,
    )
    .await
    .unwrap();
    assert!(report.report.succeeded(), "{:#?}", report.report.objects);
    assert!(!plan(&c, &clean, &PlanOptions::default())
        .await
        .unwrap()
        .has_changes());
    cleanup(&desired.namespace);
}

/// The namespace is created before the lock; later deploys change its
/// labels (the product's version) by server-side apply without a conflict
/// with that first write.
#[tokio::test]
async fn a_new_version_redeploys() {
    support::client().await;
    let (dir, ns) = product_dir("cli-version");
    let d = dir.to_str().unwrap();
    let out = floe(&["deploy", d, "--env", "dev", "-y"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    let spec = dir.join("floe.yaml");
    let text_before = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(
        &spec,
        text_before.replace("version: \"1.0.0\"", "version: \"1.0.1\""),
    )
    .unwrap();
    let out = floe(&["deploy", d, "--env", "dev", "-y"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let version = Command::new("kubectl")
        .args([
            "get",
            "namespace",
            &ns,
            "-o",
            "jsonpath={.metadata.labels.app\\.kubernetes\\.io/version}",
        ])
        .env("KUBECONFIG", support::kubeconfig_path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&version.stdout), "1.0.1");
    cleanup(&ns);
}
