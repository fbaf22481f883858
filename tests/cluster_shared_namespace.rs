//! One namespace, one product: a second product (or a second environment of
//! the same product) that names a namespace floe already deployed another
//! product to is refused when planning, naming both, and the first product's
//! objects stay exactly as they were. System namespaces are refused by
//! validation before any cluster is asked.

mod support;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use support::floe;

const KINDS: &str = "configmaps,serviceaccounts,deployments,cronjobs,services,roles,\
rolebindings,networkpolicies,resourcequotas,limitranges,poddisruptionbudgets";

/// `kind/name` → resourceVersion of every object in `ns`, the namespace too.
fn versions(ns: &str) -> BTreeMap<String, String> {
    let out = Command::new("kubectl")
        .args(["get", KINDS, "-n", ns, "-o", "json"])
        .env("KUBECONFIG", support::kubeconfig_path())
        .output()
        .unwrap();
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut versions: BTreeMap<String, String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let name = format!("{}/{}", o["kind"], o["metadata"]["name"]);
            (name, o["metadata"]["resourceVersion"].to_string())
        })
        .collect();
    let out = Command::new("kubectl")
        .args([
            "get",
            "namespace",
            ns,
            "-o",
            "jsonpath={.metadata.resourceVersion}",
        ])
        .env("KUBECONFIG", support::kubeconfig_path())
        .output()
        .unwrap();
    versions.insert(
        "namespace".into(),
        String::from_utf8_lossy(&out.stdout).into(),
    );
    versions
}

/// examples/minimal named `product`, deployed to namespace `ns`.
fn product(product: &str, ns: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{ns}-{product}"));
    support::minimal_product_in(&dir, ns);
    let spec = dir.join("floe.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(
        &spec,
        text.replace("name: customer-analytics", &format!("name: {product}")),
    )
    .unwrap();
    dir
}

#[tokio::test]
async fn a_second_product_in_a_taken_namespace_is_refused_naming_both() {
    support::client().await;
    let ns = support::unique_name("shared-ns");
    let first = product("orders", &ns);
    let out = floe(&["deploy", first.to_str().unwrap(), "--env", "dev", "-y"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before = versions(&ns);
    assert!(
        before.len() > 5,
        "the first product is deployed: {before:?}"
    );

    let second = product("billing", &ns);
    for command in ["plan", "deploy"] {
        let mut args = vec![command, second.to_str().unwrap(), "--env", "dev"];
        if command == "deploy" {
            args.push("-y");
        }
        let out = floe(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "{command}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "namespace {ns} belongs to orders (dev), not to billing (dev)"
            )),
            "{command}: {stderr}"
        );
        assert_eq!(
            versions(&ns),
            before,
            "{command} wrote to the first product's namespace"
        );
    }

    // The same product's other environment is another deployment too.
    let out = floe(&["deploy", first.to_str().unwrap(), "--env", "staging", "-y"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("belongs to orders (dev), not to orders (staging)"),
        "{stderr}"
    );
    assert_eq!(versions(&ns), before, "staging wrote to dev's namespace");

    let _ = Command::new("kubectl")
        .args(["delete", "namespace", &ns, "--wait=false"])
        .env("KUBECONFIG", support::kubeconfig_path())
        .output();
}
