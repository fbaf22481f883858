//! The floe platform's own files parse as the platform writes them
//! (fixtures/platform/<case>/, each a complete product directory): a
//! FloeSpec with transforms and a schedule, manifests with flat and nested
//! resource presets, and plugin credentials inline (refused, never printed)
//! or as references (accepted, never in a ConfigMap).

use floe::model::platform::ResourcePreset;
use floe::model::{self, Environment, Product};
use floe::render::{self, DesiredSet};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FLOE: &str = env!("CARGO_BIN_EXE_floe");
const SECRET_VALUE: &str = "s3cr3t-value";

fn case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/platform")
        .join(name)
}

fn load(name: &str, env: Environment) -> Product {
    let product = model::load(&case(name), env, None)
        .unwrap_or_else(|e| panic!("{name} ({env}): {e}: {:#?}", e.diagnostics()));
    let errors: Vec<_> = model::validate::validate(&product)
        .into_iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(errors.is_empty(), "{name} ({env}): {errors:#?}");
    product
}

fn floe(name: &str, args: &[&str]) -> Output {
    Command::new(FLOE)
        .args(args)
        .current_dir(case(name))
        .env_remove("FLOE_ENV")
        .output()
        .expect("run floe")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn object<'a>(set: &'a DesiredSet, kind: &str, name: &str) -> &'a Value {
    &set.objects
        .iter()
        .find(|o| o.kind == kind && o.name == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
        .body
}

/// The pod spec of a Deployment, StatefulSet, Job or CronJob.
fn pod_spec(workload: &Value) -> &Value {
    let spec = &workload["spec"];
    let spec = if spec.get("jobTemplate").is_some() {
        &spec["jobTemplate"]["spec"]
    } else {
        spec
    };
    &spec["template"]["spec"]
}

fn main_resources(workload: &Value) -> Value {
    pod_spec(workload)["containers"][0]["resources"].clone()
}

fn platform_json(set: &DesiredSet) -> Value {
    let cm = object(set, "ConfigMap", floe::names::PLATFORM_CONFIGMAP);
    serde_json::from_str(cm["data"]["platform.json"].as_str().expect("platform.json"))
        .expect("platform.json is JSON")
}

/// Every ConfigMap of the set as text, to search for values.
fn configmaps_text(set: &DesiredSet) -> String {
    set.objects
        .iter()
        .filter(|o| o.kind == "ConfigMap")
        .map(|o| o.body.to_string())
        .collect()
}

#[test]
fn floe_yaml_with_transforms_and_schedule_parses() {
    for env in Environment::ALL {
        let p = load("transforms-schedule", env);
        let spec = &p.spec;
        assert_eq!(spec.metadata.name, "customer-360");
        assert_eq!(spec.metadata.version, "2.1.0-rc.1");
        let names: Vec<&str> = spec.transforms.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "stg_crm_customers",
                "stg_support_tickets",
                "int_customer_tickets",
                "dim_customer"
            ]
        );
        let t = &spec.transforms[2];
        assert_eq!(
            t.depends_on.as_deref(),
            Some(
                &[
                    "stg_crm_customers".to_string(),
                    "stg_support_tickets".to_string()
                ][..]
            )
        );
        assert_eq!(t.tier.as_deref(), Some("silver"));
        let dim = &spec.transforms[3];
        assert_eq!(dim.compute.as_deref(), Some("spark"));
        assert_eq!(dim.quality_checks.as_ref().map(Vec::len), Some(2));
        assert_eq!(
            dim.quality_checks.as_ref().unwrap()[1]["severity"],
            json!("warn")
        );
        let schedule = spec.schedule.as_ref().expect("schedule");
        assert_eq!(schedule.cron.as_deref(), Some("30 2 * * 1-5"));
        assert_eq!(schedule.timezone, "America/New_York");
        assert!(schedule.enabled);
        let dest = &spec.destinations.as_ref().expect("destinations")[0];
        assert_eq!(dest.sink_type.as_deref(), Some("iceberg"));
        assert_eq!(dest.extra["table"], json!("gold.dim_customer"));

        // The schedule becomes the CronJob, in the spec's time zone.
        let set = render::render(&p);
        let cron = object(&set, "CronJob", "scheduled-run");
        assert_eq!(cron["spec"]["schedule"], json!("30 2 * * 1-5"));
        assert_eq!(cron["spec"]["timeZone"], json!("America/New_York"));
        assert_eq!(
            platform_json(&set)["transforms"],
            json!(names),
            "transforms reach the platform ConfigMap in order"
        );
    }
    let out = floe("transforms-schedule", &["validate", "--env", "prod"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn schedule_disabled_means_no_cronjob() {
    // Same spec with `enabled: false`: loaded from a copy in a temp dir.
    let dir = std::env::temp_dir().join(format!("floe-platform-inputs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["floe.yaml", "manifest.yaml", "floe-deploy.yaml"] {
        std::fs::copy(case("transforms-schedule").join(f), dir.join(f)).unwrap();
    }
    let spec = std::fs::read_to_string(dir.join("floe.yaml")).unwrap();
    std::fs::write(
        dir.join("floe.yaml"),
        spec.replace("enabled: true", "enabled: false"),
    )
    .unwrap();
    let p = model::load(&dir, Environment::Dev, None).expect("loads");
    let set = render::render(&p);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!set.objects.iter().any(|o| o.kind == "CronJob"));
}

fn expected_preset_resources() -> [(&'static str, Value); 2] {
    [
        (
            "code-location",
            json!({"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}),
        ),
        (
            "dbt-run",
            json!({"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}),
        ),
    ]
}

#[test]
fn manifest_with_flat_presets_parses() {
    let p = load("flat-presets", Environment::Dev);
    let m = p.manifest.as_ref().expect("manifest");
    assert_eq!(
        m.resource_presets.keys().collect::<Vec<_>>(),
        ["large", "medium", "small"]
    );
    assert!(m
        .resource_presets
        .values()
        .all(|p| matches!(p, ResourcePreset::Flat { .. })));
    // Every other section the platform writes is read, none warned about.
    assert!(p.warnings.is_empty(), "{:#?}", p.warnings);
    assert_eq!(
        m.plugins.keys().collect::<Vec<_>>(),
        [
            "catalog",
            "compute",
            "lineage_backend",
            "orchestrator",
            "secrets",
            "storage"
        ]
    );
    assert!(m.observability.is_some() && m.governance.is_some() && m.artifacts.is_some());

    for env in Environment::ALL {
        let set = render::render(&load("flat-presets", env));
        let kinds = [("code-location", "Deployment"), ("dbt-run", "Job")];
        for ((name, want), (_, kind)) in expected_preset_resources().iter().zip(kinds) {
            assert_eq!(
                &main_resources(object(&set, kind, name)),
                want,
                "{name} in {env}"
            );
        }
    }
}

#[test]
fn manifest_with_nested_presets_parses() {
    let p = load("nested-presets", Environment::Dev);
    let m = p.manifest.as_ref().expect("manifest");
    assert!(m
        .resource_presets
        .values()
        .all(|p| matches!(p, ResourcePreset::Nested { .. })));
    for env in Environment::ALL {
        let set = render::render(&load("nested-presets", env));
        let kinds = [("code-location", "Deployment"), ("dbt-run", "Job")];
        for ((name, want), (_, kind)) in expected_preset_resources().iter().zip(kinds) {
            assert_eq!(
                &main_resources(object(&set, kind, name)),
                want,
                "{name} in {env}"
            );
        }
    }
}

#[test]
fn flat_and_nested_presets_render_the_same_objects() {
    for env in Environment::ALL {
        let flat = render::render(&load("flat-presets", env));
        let nested = render::render(&load("nested-presets", env));
        for kind in ["Deployment", "Job", "ResourceQuota", "LimitRange"] {
            let pick = |s: &DesiredSet| -> Vec<Value> {
                s.objects
                    .iter()
                    .filter(|o| o.kind == kind)
                    .map(|o| {
                        let mut b = o.body.clone();
                        // The platform ConfigMap differs (more plugins in the
                        // flat case), and with it the config hash.
                        if let Some(a) = b.pointer_mut("/spec/template/metadata/annotations") {
                            a.as_object_mut()
                                .unwrap()
                                .remove(floe::names::ANNOTATION_CONFIG_HASH);
                        }
                        if let Some(c) = b.pointer_mut("/spec/template/spec/containers/0/envFrom") {
                            *c = Value::Null;
                        }
                        b
                    })
                    .collect()
            };
            assert_eq!(pick(&flat), pick(&nested), "{kind} in {env}");
        }
    }
}

/// An inline credential in plugin config stops validate and render
/// with exit 5, names the key, and never prints the value.
#[test]
fn issue_2_inline_plugin_credential_is_refused_and_never_printed() {
    let key_path = "plugins.catalog.config.client_secret";
    for env in ["dev", "staging", "prod"] {
        for format in ["text", "json"] {
            let out = floe(
                "credential-inline",
                &["validate", "--env", env, "-o", format],
            );
            let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
            assert_eq!(
                out.status.code(),
                Some(5),
                "validate {env} {format}: {stdout}{stderr}"
            );
            assert!(stdout.contains(key_path), "{stdout}");
            assert!(
                !stdout.contains(SECRET_VALUE) && !stderr.contains(SECRET_VALUE),
                "the value leaked:\n{stdout}\n{stderr}"
            );
        }
        for format in ["yaml", "json"] {
            let out = floe("credential-inline", &["render", "--env", env, "-o", format]);
            let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
            assert_eq!(out.status.code(), Some(5), "render {env}: {stdout}{stderr}");
            assert!(stdout.is_empty(), "render printed objects:\n{stdout}");
            assert!(stderr.contains(key_path), "{stderr}");
            assert!(stderr.contains("Error: validation failed"), "{stderr}");
            assert!(
                !stderr.contains(SECRET_VALUE),
                "the value leaked:\n{stderr}"
            );
        }
    }
    // The library says the same: one error, at that path.
    let p = model::load(&case("credential-inline"), Environment::Dev, None).expect("loads");
    let errors: Vec<_> = model::validate::validate(&p)
        .into_iter()
        .filter(|d| d.is_error())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].path, key_path);
    assert_eq!(errors[0].file, "./manifest.yaml");
    assert!(!format!("{errors:?}").contains(SECRET_VALUE));
}

#[test]
fn credential_as_secret_ref_passes_and_stays_out_of_configmaps() {
    for env in Environment::ALL {
        let set = render::render(&load("credential-secret-ref", env));
        let config = &platform_json(&set)["plugins"]["catalog"]["config"];
        assert_eq!(
            config["client_secret"],
            json!({"fromEnv": "FLOE_CATALOG_CLIENT_SECRET"}),
            "the ConfigMap names where the value comes from"
        );
        assert_eq!(config["client_id"], json!("orders"));
        // Each workload reads the value from the Secret itself.
        for o in set
            .objects
            .iter()
            .filter(|o| matches!(o.kind.as_str(), "Deployment" | "Job" | "CronJob"))
        {
            let env_vars = &pod_spec(&o.body)["containers"][0]["env"];
            let var = env_vars
                .as_array()
                .and_then(|vars| {
                    vars.iter()
                        .find(|v| v["name"] == json!("FLOE_CATALOG_CLIENT_SECRET"))
                })
                .unwrap_or_else(|| panic!("{} {} lacks the variable", o.kind, o.name));
            assert_eq!(
                var["valueFrom"]["secretKeyRef"],
                json!({"name": "polaris", "key": "client-secret"})
            );
        }
        assert!(!set.objects.iter().any(|o| o.kind == "Secret"));
    }
    let out = floe("credential-secret-ref", &["render", "--env", "prod"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn credential_as_env_placeholder_passes_and_stays_a_placeholder() {
    for env in Environment::ALL {
        let set = render::render(&load("credential-env-placeholder", env));
        let config = &platform_json(&set)["plugins"]["catalog"]["config"];
        assert_eq!(config["client_secret"], json!("${POLARIS_CLIENT_SECRET}"));
        assert!(!configmaps_text(&set).contains(SECRET_VALUE));
    }
    let out = floe("credential-env-placeholder", &["validate", "--env", "prod"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

/// All platform fixtures other than the inline credential are valid in
/// every environment, through the binary too.
#[test]
fn platform_fixtures_validate() {
    for name in [
        "transforms-schedule",
        "flat-presets",
        "nested-presets",
        "credential-secret-ref",
        "credential-env-placeholder",
    ] {
        for env in ["dev", "staging", "prod"] {
            let out = floe(name, &["validate", "--env", env]);
            let stdout = text(&out.stdout);
            assert_eq!(out.status.code(), Some(0), "{name} {env}: {stdout}");
            assert!(stdout.contains("0 warnings"), "{name} {env}: {stdout}");
        }
    }
}
