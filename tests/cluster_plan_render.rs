//! Snapshots of the three plan renderings (terminal, JSON, Markdown) of a real
//! plan, with volatile values filtered, and the guarantee that no secret
//! value appears in any of them.

mod support;

use base64::Engine;
use floe::model::{self, Environment};
use floe::plan::compute::{plan, PlanOptions};
use floe::plan::format::{to_json, to_markdown, to_markdown_with_limit, to_text};
use floe::render;
use std::path::Path;
use std::process::Command;

const SECRET_VALUE: &str = "hunter2-do-not-print";

fn kubectl(args: &[&str], stdin: &str) {
    use std::io::Write;
    let mut child = Command::new("kubectl")
        .args(args)
        .env("KUBECONFIG", support::kubeconfig_path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kubectl is installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"https://127\.0\.0\.1:\d+/?", "https://[server]/");
    s.add_filter(r"plan-render-[a-z0-9-]+", "[namespace]");
    s.add_filter(
        r#""kube_system_uid": "[^"]+""#,
        r#""kube_system_uid": "[uid]""#,
    );
    s.add_filter(
        r#""live_resource_version": "\d+""#,
        r#""live_resource_version": "[rv]""#,
    );
    s.add_filter(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[uuid]",
    );
    s.add_filter(r"\b10\.96\.\d+\.\d+\b", "[cluster-ip]");
    s.add_filter(r"fingerprint [0-9a-f]{16}", "fingerprint [fp]");
    s.add_filter(
        r#""desired_digest": "sha256:[0-9a-f]+""#,
        r#""desired_digest": "[digest]""#,
    );
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renderings_of_a_real_plan() {
    support::client().await;
    let c = floe::cluster::connect(Some(&support::kubeconfig_path()), None)
        .await
        .unwrap();
    let ns = support::unique_name("plan-render");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/minimal");
    let mut product = model::load(&dir, Environment::Dev, None).unwrap();
    product.settings.namespace.name = Some(ns.clone());
    let desired = render::render(&product);
    kubectl(
        &["apply", "--server-side", "--field-manager=floe", "-f", "-"],
        &desired.to_yaml(),
    );

    // A Secret floe owns but no longer renders: it is pruned, and its value
    // must not show in any rendering.
    let secret = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: old-credentials\n  namespace: {ns}\n  labels:\n    app.kubernetes.io/managed-by: floe\n    floe.dev/product: customer-analytics\n    floe.dev/environment: dev\nstringData:\n  password: {SECRET_VALUE}\n"
    );
    kubectl(&["apply", "-f", "-"], &secret);

    let mut edited = product.clone();
    let w = edited.settings.workloads.get_mut("code-location").unwrap();
    w.replicas = Some(2);
    w.config.insert("LOG_LEVEL".into(), "debug".into());
    let desired = render::render(&edited);
    let p = plan(&c, &desired, &PlanOptions::default()).await.unwrap();

    let text = to_text(&p, false);
    let json = to_json(&p);
    let markdown = to_markdown(&p).join("\n<!-- floe:part -->\n");
    let encoded = base64::engine::general_purpose::STANDARD.encode(SECRET_VALUE);
    for (name, out) in [("text", &text), ("json", &json), ("markdown", &markdown)] {
        assert!(
            !out.contains(SECRET_VALUE),
            "{name} rendering leaks the secret value"
        );
        assert!(
            !out.contains(&encoded),
            "{name} rendering leaks the base64 secret value"
        );
    }
    assert!(text.contains("- secret/old-credentials will be destroyed"));
    assert!(text.contains("Plan: 1 to add, 2 to change, 0 to replace, 1 to destroy."));

    settings().bind(|| {
        insta::assert_snapshot!("plan_text", text);
        insta::assert_snapshot!("plan_json", json);
        insta::assert_snapshot!("plan_markdown", markdown);
    });

    // Splitting: every part stays under the limit and says which part it is.
    let parts = to_markdown_with_limit(&p, 2_000);
    assert!(parts.len() > 1, "a small limit must split the comment");
    for (i, part) in parts.iter().enumerate() {
        assert!(
            part.len() <= 2_000 + 300,
            "part {i} is {} characters",
            part.len()
        );
        assert!(part.contains(&format!("Part {} of {}", i + 1, parts.len())));
    }
    let _ = Command::new("kubectl")
        .args(["delete", "namespace", &ns, "--wait=false"])
        .env("KUBECONFIG", support::kubeconfig_path())
        .output();
}
