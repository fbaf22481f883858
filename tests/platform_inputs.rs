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

/// A copy of the case's files in a directory of its own, to change.
fn copy_of(name: &str, tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("floe-{name}-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["floe.yaml", "manifest.yaml", "floe-deploy.yaml"] {
        std::fs::copy(case(name).join(f), dir.join(f)).unwrap();
    }
    dir
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
    let dir = copy_of("transforms-schedule", "no-cron");
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

/// An inline credential in plugin config: in dev it moves into the Secret
/// floe owns (a warning says so), in staging and prod validate and render
/// stop with exit 5 and the `secret_ref` form. The value is never printed.
#[test]
fn an_inline_plugin_credential_moves_to_floes_secret_in_dev_and_is_refused_elsewhere() {
    let key_path = "plugins.catalog.config.client_secret";
    for env in ["dev", "staging", "prod"] {
        let want = if env == "dev" { 0 } else { 5 };
        for format in ["text", "json"] {
            let out = floe(
                "credential-inline",
                &["validate", "--env", env, "-o", format],
            );
            let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
            assert_eq!(
                out.status.code(),
                Some(want),
                "validate {env} {format}: {stdout}{stderr}"
            );
            assert!(stdout.contains(key_path), "{stdout}");
            assert!(
                stdout.contains("secret_ref: <secret>, key: <key>"),
                "{stdout}"
            );
            assert!(
                !stdout.contains(SECRET_VALUE) && !stderr.contains(SECRET_VALUE),
                "the value leaked:\n{stdout}\n{stderr}"
            );
        }
        for format in ["yaml", "json"] {
            let out = floe("credential-inline", &["render", "--env", env, "-o", format]);
            let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
            assert_eq!(
                out.status.code(),
                Some(want),
                "render {env}: {stdout}{stderr}"
            );
            assert!(stderr.contains(key_path), "{stderr}");
            let b64 = "czNjcjN0LXZhbHVl";
            for shown in [&stdout, &stderr] {
                assert!(
                    !shown.contains(SECRET_VALUE) && !shown.contains(b64),
                    "the value leaked:\n{shown}"
                );
            }
            if env == "dev" {
                assert!(stdout.contains("orders-plugin-credentials"), "{stdout}");
            } else {
                assert!(stdout.is_empty(), "render printed objects:\n{stdout}");
                assert!(stderr.contains("Error: validation failed"), "{stderr}");
            }
        }
    }
    // The library says the same: one problem, at that path, an error
    // outside dev.
    for env in Environment::ALL {
        let p = model::load(&case("credential-inline"), env, None).expect("loads");
        let found = model::validate::validate(&p);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].path, key_path);
        assert_eq!(found[0].file, "./manifest.yaml");
        assert_eq!(found[0].is_error(), env != Environment::Dev);
        assert!(!format!("{found:?}").contains(SECRET_VALUE));
    }
}

/// In dev the value reaches the pods through floe's Secret (one key per
/// credential, read as a variable like a `secret_ref`), never through a
/// ConfigMap; no other environment renders that Secret.
#[test]
fn an_inline_credential_in_dev_is_read_from_floes_secret() {
    let p = load("demo-inline-credential", Environment::Dev);
    let set = render::render(&p);
    let secret = object(&set, "Secret", "customer-360-plugin-credentials");
    assert_eq!(
        secret["data"],
        json!({"catalog.oauth2.client_secret": "ZGVtby1zZWNyZXQtZG8tbm90LXVzZQ=="})
    );
    let config = &platform_json(&set)["plugins"]["catalog"]["config"];
    assert_eq!(
        config["oauth2"]["client_secret"],
        json!({"fromEnv": "FLOE_CATALOG_OAUTH2_CLIENT_SECRET"})
    );
    assert_eq!(config["oauth2"]["client_id"], json!("demo-admin"));
    assert!(!configmaps_text(&set).contains("demo-secret-do-not-use"));
    for o in set
        .objects
        .iter()
        .filter(|o| matches!(o.kind.as_str(), "Deployment" | "Job" | "CronJob"))
    {
        let vars = pod_spec(&o.body)["containers"][0]["env"].clone();
        assert!(
            vars.as_array().unwrap().contains(&json!({"name": "FLOE_CATALOG_OAUTH2_CLIENT_SECRET",
                "valueFrom": {"secretKeyRef": {"name": "customer-360-plugin-credentials", "key": "catalog.oauth2.client_secret"}}})),
            "{} {}: {vars}",
            o.kind,
            o.name
        );
    }
    let role = object(&set, "Role", "customer-360");
    assert!(
        role.to_string().contains("customer-360-plugin-credentials"),
        "{role}"
    );
    for env in [Environment::Staging, Environment::Prod] {
        let p = model::load(&case("demo-inline-credential"), env, None).expect("loads");
        let set = render::render(&p);
        assert!(!set.objects.iter().any(|o| o.kind == "Secret"), "{env}");
        assert!(
            !configmaps_text(&set).contains("demo-secret-do-not-use"),
            "{env}"
        );
    }
}

/// floe's Secret is its own: a reference to a Secret of that name, or two
/// credentials passed as one variable, are errors.
#[test]
fn credential_names_must_not_collide() {
    let dir = copy_of("demo-inline-credential", "collide");
    let manifest = std::fs::read_to_string(dir.join("manifest.yaml")).unwrap();
    let manifest = manifest.replace(
        "      warehouse: demo_catalog\n",
        "      warehouse: demo_catalog\n      token: {secret_ref: customer-360-plugin-credentials}\n      oauth2.client-secret: x\n",
    );
    std::fs::write(dir.join("manifest.yaml"), manifest).unwrap();
    let p = model::load(&dir, Environment::Dev, None).expect("loads");
    let _ = std::fs::remove_dir_all(&dir);
    let errors: Vec<String> = model::validate::validate(&p)
        .into_iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.path, d.message))
        .collect();
    assert_eq!(
        errors,
        [
            "plugins.catalog.config.oauth2.client-secret: plugins.catalog.config.oauth2.client_secret and plugins.catalog.config.oauth2.client-secret would both be passed as FLOE_CATALOG_OAUTH2_CLIENT_SECRET",
            "plugins.catalog.config.token: Secret \"customer-360-plugin-credentials\" is the one floe renders for the manifest's inline credentials",
        ],
        "{errors:#?}"
    );
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

/// A copy of the compiled fixture with `edit` applied to its JSON.
fn compiled_copy(tag: &str, edit: impl Fn(&mut Value)) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("floe-compiled-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = case("compiled").join("compiled_artifacts.json");
    let mut compiled: Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    edit(&mut compiled);
    std::fs::write(dir.join("compiled_artifacts.json"), compiled.to_string()).unwrap();
    std::fs::copy(
        case("compiled").join("floe-deploy.yaml"),
        dir.join("floe-deploy.yaml"),
    )
    .unwrap();
    dir
}

fn validate_dir(dir: &Path, env: &str) -> Output {
    Command::new(FLOE)
        .args(["validate", dir.to_str().unwrap(), "--env", env])
        .env_remove("FLOE_ENV")
        .output()
        .expect("run floe")
}

/// The platform's compiled output (CompiledArtifacts) is read into the
/// model the three files give: the same product written as floe.yaml and
/// manifest.yaml renders exactly the same objects in every environment.
#[test]
fn compiled_artifacts_render_what_the_same_product_as_files_renders() {
    for env in Environment::ALL {
        let compiled = load("compiled", env);
        assert_eq!(compiled.spec_file, "compiled_artifacts.json");
        assert!(compiled.warnings.is_empty(), "{:#?}", compiled.warnings);
        let files = load("compiled-as-files", env);
        let (a, b) = (render::render(&compiled), render::render(&files));
        assert_eq!(a.objects.len(), b.objects.len(), "{env}");
        for (x, y) in a.objects.iter().zip(&b.objects) {
            assert_eq!(x.body, y.body, "{} {} in {env}", x.kind, x.name);
        }
    }
}

#[test]
fn compiled_artifacts_give_name_plugins_observability_and_transforms() {
    let p = load("compiled", Environment::Prod);
    assert_eq!(p.spec.metadata.name, "sales-insights");
    assert_eq!(p.spec.metadata.version, "1.2.0");
    let set = render::render(&p);
    let platform = platform_json(&set);
    assert_eq!(
        platform["product"],
        json!({"name": "sales-insights", "version": "1.2.0"})
    );
    assert_eq!(
        platform["transforms"],
        json!(["stg_orders", "stg_customers", "fct_sales"])
    );
    assert_eq!(
        platform["plugins"]["compute"]["config"]["threads"],
        json!(4)
    );
    assert_eq!(
        platform["plugins"]["catalog"]["config"]["client_secret"],
        json!({"fromEnv": "FLOE_CATALOG_CLIENT_SECRET"})
    );
    assert!(
        platform["plugins"].get("ingestion").is_none(),
        "null plugins are absent"
    );
    let data = &object(&set, "ConfigMap", floe::names::PLATFORM_CONFIGMAP)["data"];
    assert_eq!(
        data["OTEL_EXPORTER_OTLP_ENDPOINT"],
        "http://otel-collector.observability.svc:4317"
    );
    assert_eq!(data["OTEL_TRACES_SAMPLER_ARG"], "0.1", "prod's sampling");
    let attributes = data["OTEL_RESOURCE_ATTRIBUTES"].as_str().unwrap();
    assert!(
        attributes.contains("deployment.environment=prod") && attributes.contains("floe.mode=prod"),
        "{attributes}"
    );
    assert_eq!(
        data["OPENLINEAGE_URL"],
        "http://marquez.lineage.svc:5000/api/v1/lineage"
    );
    // No schedule in the compiled output: a Deployment and a dbt run.
    let kinds: Vec<&str> = set.objects.iter().map(|o| o.kind.as_str()).collect();
    assert!(
        kinds.contains(&"Job") && !kinds.contains(&"CronJob"),
        "{kinds:?}"
    );
}

/// Fields of a newer minor version are ignored with a warning; a newer
/// major version is refused (exit 5), naming both versions.
#[test]
fn compiled_artifacts_of_a_newer_minor_warn_and_of_a_newer_major_are_refused() {
    let newer_minor = compiled_copy("minor", |c| {
        c["version"] = json!("0.12.1");
        c["lineage_graph"] = json!({"edges": []});
        c["transforms"]["models"][0]["freshness"] = json!("1h");
    });
    let out = validate_dir(&newer_minor, "dev");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    for path in ["lineage_graph", "transforms.models[0].freshness"] {
        assert!(
            stdout.contains(&format!("warning: compiled_artifacts.json: {path}: unknown field ignored (CompiledArtifacts 0.12.1 is newer than 0.10.0")),
            "{stdout}"
        );
    }
    let newer_major = compiled_copy("major", |c| c["version"] = json!("1.0.0"));
    for command in ["validate", "render"] {
        let out = Command::new(FLOE)
            .args([command, newer_major.to_str().unwrap(), "--env", "dev"])
            .output()
            .unwrap();
        let shown = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(5), "{command}: {shown}");
        assert!(
            shown.contains("compiled_artifacts.json: version: CompiledArtifacts version 1.0.0 is a major version this floe does not read (it reads 0.x, up to 0.10.0)"),
            "{command}: {shown}"
        );
    }
    let _ = std::fs::remove_dir_all(newer_minor);
    let _ = std::fs::remove_dir_all(newer_major);
}

/// A problem of the product the compiled output describes is reported at
/// the compiled file's own path.
#[test]
fn compiled_artifacts_problems_name_the_compiled_fields() {
    let bad = compiled_copy("bad", |c| {
        c["metadata"]["product_name"] = json!("Sales_Insights");
        c["transforms"]["models"][1]["name"] = json!("stg_orders");
    });
    let out = validate_dir(&bad, "dev");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(5), "{stdout}");
    assert!(
        stdout.contains("error: compiled_artifacts.json: metadata.product_name: invalid product name \"Sales_Insights\""),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "error: compiled_artifacts.json: transforms.models[1].name: duplicate transform"
        ),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(bad);
}
