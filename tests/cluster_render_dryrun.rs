//! Every rendered object of every example, in every environment,
//! passes a server-side dry-run create against the real API server
//! (admission, schema validation and defaulting included).

mod support;

use floe::model::{self, Environment};
use floe::render;
use kube::api::{DynamicObject, PostParams};
use std::path::Path;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rendered_object_passes_a_server_side_dry_run_create() {
    support::client().await;
    let c = floe::cluster::connect(Some(&support::kubeconfig_path()), None)
        .await
        .unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    for example in ["minimal", "full"] {
        for env in Environment::ALL {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples")
                .join(example);
            let mut product = model::load(&dir, env, None).unwrap();
            let ns = support::unique_name(&format!("dryrun-{example}-{env}"));
            product.settings.namespace.name = Some(ns.clone());
            let desired = render::render(&product);

            // Namespaced objects can only be dry-run into a namespace that
            // exists: create the rendered Namespace for real first.
            let namespace = desired
                .objects
                .iter()
                .find(|o| o.kind == "Namespace")
                .expect("a namespace");
            let info = floe::kinds::kind_info("", "Namespace").unwrap();
            let obj: DynamicObject = serde_json::from_value(namespace.body.clone()).unwrap();
            c.api(info, "")
                .create(&PostParams::default(), &obj)
                .await
                .expect("namespace created");

            let dry = PostParams {
                dry_run: true,
                field_manager: Some("floe".into()),
            };
            for o in desired.objects.iter().filter(|o| o.kind != "Namespace") {
                let info = floe::kinds::kind_info(o.group(), &o.kind).expect("a kind floe manages");
                let obj: DynamicObject = serde_json::from_value(o.body.clone()).unwrap();
                checked += 1;
                if let Err(e) = c.api(info, &ns).create(&dry, &obj).await {
                    failures.push(format!("{example}/{env} {}: {e}", o.key()));
                }
            }
            let _ = std::process::Command::new("kubectl")
                .args(["delete", "namespace", &ns, "--wait=false"])
                .env("KUBECONFIG", support::kubeconfig_path())
                .output();
        }
    }
    assert!(checked > 100, "only {checked} objects were checked");
    assert!(
        failures.is_empty(),
        "rejected by the API server:\n{}",
        failures.join("\n")
    );
}
