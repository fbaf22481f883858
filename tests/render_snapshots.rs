//! Snapshot tests of the rendered desired set: every example in every
//! environment, so any change to what floe would deploy shows up in review.

use floe::model::{self, Environment};
use floe::render;
use std::path::Path;

fn render_example(name: &str, env: Environment) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    let product = model::load(&dir, env, None).expect("example loads");
    let diags = model::validate::validate(&product);
    assert!(
        !diags.iter().any(|d| d.is_error()),
        "example {name} is invalid in {env}: {diags:#?}"
    );
    render::render(&product).to_yaml()
}

#[test]
fn every_example_renders_in_every_environment() {
    for example in ["minimal", "full"] {
        for env in Environment::ALL {
            let yaml = render_example(example, env);
            insta::assert_snapshot!(format!("{example}_{env}"), yaml);
        }
    }
}

#[test]
fn rendering_is_deterministic() {
    for env in Environment::ALL {
        assert_eq!(render_example("full", env), render_example("full", env));
    }
}

/// The full example is meant to use every kind floe renders; if a kind
/// disappears from it, the snapshots stop covering it.
#[test]
fn full_example_covers_every_kind() {
    let yaml = render_example("full", Environment::Prod);
    for kind in [
        "Namespace",
        "ResourceQuota",
        "LimitRange",
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "ConfigMap",
        "PersistentVolumeClaim",
        "Deployment",
        "StatefulSet",
        "Job",
        "CronJob",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
    ] {
        assert!(
            yaml.contains(&format!("\nkind: {kind}\n")),
            "no {kind} in the full example"
        );
    }
    for feature in [
        "volumeClaimTemplates",
        "initContainers",
        "restartPolicy: Always",
        "startupProbe",
        "nodeSelector",
        "requiredDuringSchedulingIgnoredDuringExecution",
        "tolerations",
        "secretKeyRef",
        "secretRef",
        "imagePullSecrets",
        "floe.dev/config-hash",
        "maxSurge",
        "pod-security.kubernetes.io/enforce: restricted",
    ] {
        assert!(yaml.contains(feature), "the full example lost {feature}");
    }
}

#[test]
fn dev_and_prod_differ_where_the_platform_rules_say() {
    let dev = render_example("minimal", Environment::Dev);
    let prod = render_example("minimal", Environment::Prod);
    assert!(dev.contains("imagePullPolicy: IfNotPresent"));
    assert!(prod.contains("imagePullPolicy: Always"));
    assert!(dev.contains("replicas: 1"));
    assert!(prod.contains("replicas: 2"));
    assert!(!dev.contains("kind: NetworkPolicy"));
    assert!(prod.contains("kind: NetworkPolicy"));
    assert!(!dev.contains("kind: PodDisruptionBudget"));
    assert!(prod.contains("kind: PodDisruptionBudget"));
    assert!(dev.contains("name: customer-analytics-dev"));
    assert!(prod.contains("name: customer-analytics-prod"));
}
