//! No input makes loading, validation or rendering panic.
//!
//! Three kinds of input go into floe.yaml, manifest.yaml and
//! floe-deploy.yaml: arbitrary text; random YAML trees whose keys and
//! values come mostly from the real schema's vocabulary; and the valid base
//! product (fixtures/base) with random subtrees grafted in, which gets past
//! the type checks often enough to exercise validation and rendering.
//! Whatever loads is validated, and whatever validates is rendered.

use floe::model::{self, Environment};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Map, Number, Value};
use std::path::{Path, PathBuf};

const FILES: [&str; 3] = ["floe.yaml", "manifest.yaml", "floe-deploy.yaml"];

/// Field names of FloeSpec, Manifest and the deployment settings, plus the
/// default workload and preset names.
#[rustfmt::skip]
const KEYS: &[&str] = &[
    "apiVersion", "kind", "metadata", "name", "version", "description", "owner", "labels",
    "platform", "manifest", "transforms", "compute", "tags", "dependsOn", "tier",
    "qualityChecks", "schedule", "cron", "timezone", "enabled", "outputPorts", "destinations",
    "sink_type", "connection_secret_ref", "plugins", "type", "config", "observability",
    "governance", "artifacts", "resource_presets", "deployment", "requests", "limits", "cpu",
    "memory", "cpu_request", "cpu_limit", "memory_request", "memory_limit", "image",
    "imagePullSecrets", "namespace", "quota", "limitsCpu", "limitsMemory", "pods",
    "persistentVolumeClaims", "storage", "defaultRequest", "default", "max",
    "networkPolicies", "ingressFromNamespaces", "egress", "cidr", "ports", "workloads",
    "environments", "dev", "staging", "prod", "component", "command", "args", "resources",
    "preset", "replicas", "containerPort", "protocol", "servicePort", "service", "probes",
    "liveness", "readiness", "startup", "http", "path", "port", "tcp", "grpc", "exec",
    "initialDelaySeconds", "periodSeconds", "timeoutSeconds", "failureThreshold",
    "successThreshold", "env", "configFiles", "configMountPath", "secrets", "secret",
    "envFrom", "mountPath", "optional", "volumes", "readOnly", "emptyDir", "sizeLimit",
    "medium", "persistent", "size", "storageClassName", "accessModes", "claim", "configMap",
    "hostPath", "initContainers", "sidecars", "volumeMounts", "nodeSelector", "affinity",
    "nodeLabels", "mode", "spread", "tolerations", "key", "operator", "value", "effect", "hpa",
    "minReplicas", "maxReplicas", "targetCpuUtilization", "targetMemoryUtilization", "pdb",
    "minAvailable", "maxUnavailable", "ingress", "host", "className", "tlsSecret",
    "annotations", "rollout", "maxSurge", "progressDeadlineSeconds", "minReadySeconds",
    "revisionHistoryLimit", "paused", "job", "backoffLimit", "ttlSecondsAfterFinished",
    "activeDeadlineSeconds", "completions", "parallelism", "timeZone", "concurrencyPolicy",
    "startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit",
    "suspend", "client_secret", "password", "api_key", "secret_ref", "token", "auth",
    "code-location", "dbt-run", "scheduled-run", "small", "large",
];

/// Values the rules look at: versions, kinds, quantities, cron, images,
/// names, placeholders, paths, and a few nasty strings.
#[rustfmt::skip]
const WORDS: &[&str] = &[
    "floe.dev/v1", "FloeSpec", "Manifest", "DeploySettings", "Deployment", "StatefulSet", "Job",
    "CronJob", "100m", "0.5", "2", "512Mi", "1Gi", "1e3", "1E-20", "9999999999999999999Ei",
    "-1", "+1", ".", "1.", "0 6 * * *", "@daily", "@every 5m", "* * * * * *", "61 * * * *",
    "*/0 * * * *", "1-2-3 * * * *", "0 0 31 2 7", "1.0.0", "1.0", "v1", "small", "medium",
    "shop", "Shop_X", "a-", "registry.example.com/acme/shop:1.0.0", "shop:latest", "shop",
    "a b", "repo@sha256:abc", ":", "/", "${X}", "${", "${}", "/tmp", "relative/path", "grpc",
    "http", "TCP", "Equal", "Exists", "NoSchedule", "25%", "150%", "%", "hard", "soft",
    "oci://registry.example.com/acme/manifest:1.0", "./manifest.yaml", "../outside.yaml",
    "manifest.yaml", "floe.yaml", "", " ", "\t", "\n", "ü日本語", "\u{0}", "~", "null", "yes",
    "dev", "prod", "code-location", "dbt-run", "tmp", "config-files", "s3cr3t",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => proptest::sample::select(KEYS).prop_map(str::to_string),
        1 => "[a-zA-Z_.-]{0,12}",
        1 => any::<String>(),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => proptest::sample::select(WORDS).prop_map(|s| Value::String(s.to_string())),
        1 => any::<String>().prop_map(Value::String),
        1 => "[a-z0-9]{60,300}".prop_map(Value::String),
        2 => prop_oneof![
            Just(0i64),
            Just(1),
            Just(2),
            Just(-1),
            Just(65535),
            Just(65536),
            Just(u32::MAX as i64),
            Just(u32::MAX as i64 + 1),
            Just(i64::MAX),
            Just(i64::MIN),
            any::<i64>(),
            0i64..200,
        ]
        .prop_map(|n| Value::Number(n.into())),
        1 => any::<u64>().prop_map(|n| Value::Number(n.into())),
        1 => any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
    ]
}

fn tree() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 96, 6, |inner| {
        prop_oneof![
            1 => proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            3 => proptest::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A document: usually a mapping (what every file is), sometimes anything.
fn document() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => proptest::collection::vec((key(), tree()), 0..8)
            .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        1 => tree(),
    ]
}

fn environment() -> impl Strategy<Value = Environment> {
    proptest::sample::select(Environment::ALL.to_vec())
}

fn image() -> impl Strategy<Value = Option<String>> {
    proptest::option::weighted(
        0.2,
        proptest::sample::select(WORDS).prop_map(str::to_string),
    )
}

/// A scratch product directory per test thread.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!(
            "floe-loader-props-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ))
        .to_string_lossy()
        .replace(['(', ')'], "");
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Writes the files (None leaves one out) and runs the whole pipeline.
fn exercise(dir: &Path, files: &[Option<String>; 3], env: Environment, image: Option<&str>) {
    for (name, text) in FILES.iter().zip(files) {
        let path = dir.join(name);
        match text {
            Some(text) => std::fs::write(&path, text).expect("write"),
            None => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    pipeline(dir, env, image);
    let _ = std::fs::remove_dir_all(dir);
}

fn pipeline(dir: &Path, env: Environment, image: Option<&str>) {
    match model::load(dir, env, image) {
        Ok(product) => {
            let diags = model::validate::validate(&product);
            for d in &diags {
                let _ = d.to_string();
            }
            if !diags.iter().any(|d| d.is_error()) {
                let set = floe::render::render(&product);
                let _ = set.to_yaml();
                let _ = set.to_json();
                let _ = set.digest();
            }
        }
        Err(err) => {
            let _ = err.to_string();
            let _ = err.hint();
            for d in err.diagnostics() {
                let _ = d.to_string();
            }
        }
    }
}

fn to_yaml(value: &Value) -> String {
    serde_norway::to_string(value).unwrap_or_default()
}

/// The valid products the grafts start from: the small base and the
/// example that uses every feature.
fn bases() -> Vec<[Value; 3]> {
    ["fixtures/base", "examples/full"]
        .iter()
        .map(|d| {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(d);
            FILES.map(|f| {
                let text = std::fs::read_to_string(dir.join(f)).expect("base product");
                serde_norway::from_str(&text).expect("base parses")
            })
        })
        .collect()
}

/// Every path (keys, list indices as numbers) in a document.
fn paths(doc: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(prefix.clone());
    let children: Vec<(String, &Value)> = match doc {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => Vec::new(),
    };
    for (k, v) in children {
        prefix.push(k);
        paths(v, prefix, out);
        prefix.pop();
    }
}

/// Where to graft: mostly a path that exists in one of the bases (perhaps
/// with one more key), so the new value lands where the schema looks.
fn graft_path() -> impl Strategy<Value = (usize, Vec<String>)> {
    let mut known: Vec<(usize, Vec<String>)> = Vec::new();
    for docs in bases() {
        for (file, doc) in docs.iter().enumerate() {
            let mut all = Vec::new();
            paths(doc, &mut Vec::new(), &mut all);
            known.extend(all.into_iter().filter(|p| !p.is_empty()).map(|p| (file, p)));
        }
    }
    known.sort();
    known.dedup();
    prop_oneof![
        6 => proptest::sample::select(known.clone()),
        1 => (proptest::sample::select(known), key()).prop_map(|((f, mut p), k)| {
            p.push(k);
            (f, p)
        }),
        1 => (0usize..3, proptest::collection::vec(key(), 1..6)),
    ]
}

/// A replacement value: mostly one of the same JSON type as the value it
/// replaces (so it passes the type check and reaches the rules), sometimes
/// anything.
#[derive(Debug, Clone)]
enum Replacement {
    SameType {
        word: String,
        number: i64,
        flag: bool,
    },
    Any(Value),
}

fn replacement() -> impl Strategy<Value = Replacement> {
    let number = prop_oneof![
        3 => 0i64..10,
        1 => Just(0i64),
        1 => Just(65535),
        1 => Just(u32::MAX as i64),
        1 => any::<i64>(),
    ];
    prop_oneof![
        3 => (
            proptest::sample::select(WORDS).prop_map(str::to_string),
            number,
            any::<bool>(),
        )
            .prop_map(|(word, number, flag)| Replacement::SameType { word, number, flag }),
        1 => prop_oneof![3 => leaf(), 1 => tree()].prop_map(Replacement::Any),
    ]
}

fn value_at<'a>(doc: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(doc, |v, k| match v {
        Value::Object(map) => map.get(k),
        Value::Array(items) => items.get(k.parse::<usize>().ok()?),
        _ => None,
    })
}

fn replacement_for(existing: Option<&Value>, r: Replacement) -> Value {
    match (existing, r) {
        (Some(Value::String(_)), Replacement::SameType { word, .. }) => Value::String(word),
        (Some(Value::Number(_)), Replacement::SameType { number, .. }) => number.into(),
        (Some(Value::Bool(_)), Replacement::SameType { flag, .. }) => Value::Bool(flag),
        // A mapping or list: delete it (a merge-patch null) or keep it.
        (Some(Value::Object(_) | Value::Array(_)), Replacement::SameType { flag, .. }) => {
            if flag {
                Value::Null
            } else {
                existing.cloned().unwrap_or(Value::Null)
            }
        }
        (_, Replacement::SameType { word, .. }) => Value::String(word),
        (_, Replacement::Any(v)) => v,
    }
}

/// Puts `value` at `path` inside `doc`, creating mappings on the way; a
/// numeric segment picks a list item when it meets a list.
fn graft(doc: &mut Value, path: &[String], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        *doc = value;
        return;
    };
    match doc {
        Value::Array(items) if !items.is_empty() => {
            let i = first.parse::<usize>().unwrap_or(first.len()) % items.len();
            graft(&mut items[i], rest, value);
        }
        Value::Object(map) => {
            let child = map.entry(first.clone()).or_insert(Value::Null);
            graft(child, rest, value);
        }
        other => {
            let mut map = Map::new();
            map.insert(first.clone(), Value::Null);
            *other = Value::Object(map);
            graft(other, path, value);
        }
    }
}

/// 256 cases each, so the suite runs in seconds; PROPTEST_CASES=10000
/// searches longer.
fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Any text at all in any of the three files.
    #[test]
    fn arbitrary_text_never_panics(
        spec in prop_oneof![any::<String>(), "[ -~\n]{0,200}"],
        manifest in proptest::option::of(prop_oneof![any::<String>(), "[ -~\n]{0,200}"]),
        settings in proptest::option::of(prop_oneof![any::<String>(), "[a-z:{}\\[\\], \n-]{0,200}"]),
        env in environment(),
        image in image(),
    ) {
        let dir = scratch();
        exercise(&dir, &[Some(spec), manifest, settings], env, image.as_deref());
    }

    /// Random YAML trees built from the schema's own words.
    #[test]
    fn schema_shaped_yaml_never_panics(
        docs in [document(), document(), document()],
        present in [any::<bool>(), any::<bool>()],
        env in environment(),
        image in image(),
    ) {
        let dir = scratch();
        // floe.yaml is always there: without it nothing else is read.
        let files = [
            Some(to_yaml(&docs[0])),
            present[0].then(|| to_yaml(&docs[1])),
            present[1].then(|| to_yaml(&docs[2])),
        ];
        exercise(&dir, &files, env, image.as_deref());
    }

    /// The valid base product with random subtrees grafted in: gets past
    /// the type checks often, so validation and rendering see odd values.
    #[test]
    fn grafted_base_never_panics(
        which in 0usize..2,
        grafts in proptest::collection::vec(
            (graft_path(), replacement()),
            1..4,
        ),
        env in environment(),
        image in image(),
    ) {
        let mut docs = bases().swap_remove(which);
        for ((file, path), r) in grafts {
            let value = replacement_for(value_at(&docs[file], &path), r);
            graft(&mut docs[file], &path, value);
        }
        let dir = scratch();
        let files = docs.each_ref().map(|d| Some(to_yaml(d)));
        exercise(&dir, &files, env, image.as_deref());
    }
}

/// The base product itself goes all the way through rendering: the grafted
/// cases start from something that renders.
#[test]
fn base_renders() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/base");
    for env in Environment::ALL {
        let product = model::load(&dir, env, None).expect("base loads");
        assert!(!model::validate::validate(&product)
            .iter()
            .any(|d| d.is_error()));
        assert!(!floe::render::render(&product).objects.is_empty());
    }
}

/// Bytes that are not UTF-8 are a read error, not a panic.
#[test]
fn non_utf8_files_never_panic() {
    let dir = scratch();
    for name in FILES {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/base");
        for f in FILES {
            std::fs::copy(base.join(f), dir.join(f)).expect("copy base");
        }
        std::fs::write(dir.join(name), b"apiVersion: \xff\xfe\x00 floe\n").expect("write");
        let result = model::load(&dir, Environment::Dev, None);
        assert!(result.is_err(), "{name} with invalid UTF-8 loaded");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
