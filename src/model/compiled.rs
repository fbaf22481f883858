//! The floe platform's compiled output (`compiled_artifacts.json`,
//! CompiledArtifacts) as a product's input: read as the platform writes it
//! and mapped into the FloeSpec and Manifest the three-file layout gives,
//! so everything after loading is the same.
//!
//! What decides the Kubernetes objects is taken: the product's name and
//! version, the plugins and their config, the observability endpoints and
//! the transforms the dbt run builds. The rest (identity, governance,
//! contracts, dbt profiles, ...) is read and kept aside. A newer minor
//! `version` may add fields: they are ignored with a warning. A newer major
//! `version` may change what fields mean: it is refused.

use super::diag::Diagnostic;
use super::platform::{FloeMetadata, FloeSpec, Manifest, Plugin, Transform};
use super::type_error::clean_path;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The compiled output's file name, as the platform's registry artifacts
/// title their one layer.
pub const COMPILED_FILE: &str = "compiled_artifacts.json";
/// The newest CompiledArtifacts schema this floe knows.
pub const KNOWN_VERSION: &str = "0.10.0";

/// The plugin categories the platform resolves.
const PLUGIN_CATEGORIES: [&str; 7] = [
    "compute",
    "orchestrator",
    "catalog",
    "storage",
    "ingestion",
    "semantic",
    "lineage_backend",
];

#[derive(Debug, Deserialize)]
struct CompiledArtifacts {
    metadata: CompiledMetadata,
    #[serde(default)]
    observability: Option<CompiledObservability>,
    #[serde(default)]
    plugins: Option<BTreeMap<String, Option<CompiledPlugin>>>,
    #[serde(default)]
    transforms: Option<CompiledTransforms>,
    #[serde(default)]
    governance: Option<Value>,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

/// Top-level fields read on their own (`version`) or not mapped: they
/// decide nothing floe renders.
const KEPT_ASIDE: [&str; 8] = [
    "version",
    "identity",
    "mode",
    "inheritance_chain",
    "dbt_profiles",
    "enforcement_result",
    "data_contracts",
    "quality_config",
];

#[derive(Debug, Deserialize)]
struct CompiledMetadata {
    product_name: String,
    product_version: String,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

const METADATA_FIELDS: [&str; 3] = ["compiled_at", "floe_version", "source_hash"];

#[derive(Debug, Deserialize)]
struct CompiledPlugin {
    #[serde(rename = "type")]
    plugin_type: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    config: Option<BTreeMap<String, Value>>,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

#[derive(Debug, Deserialize)]
struct CompiledTransforms {
    #[serde(default)]
    models: Vec<CompiledModel>,
    #[serde(default)]
    default_compute: Option<String>,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

#[derive(Debug, Deserialize)]
struct CompiledModel {
    name: String,
    #[serde(default)]
    compute: Option<String>,
    #[serde(default)]
    tags: Option<Vec<String>>,
    #[serde(default)]
    depends_on: Option<Vec<String>>,
    #[serde(default)]
    quality_checks: Option<Vec<Value>>,
    #[serde(default)]
    quality_tier: Option<String>,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

#[derive(Debug, Deserialize)]
struct CompiledObservability {
    #[serde(default)]
    telemetry: Option<BTreeMap<String, Value>>,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

const OBSERVABILITY_FIELDS: [&str; 3] = ["lineage", "lineage_namespace", "lineage_endpoint"];
const TELEMETRY_FIELDS: [&str; 9] = [
    "enabled",
    "otlp_endpoint",
    "otlp_protocol",
    "sampling",
    "resource_attributes",
    "authentication",
    "batch_processor",
    "logging",
    "backend",
];

/// The product a CompiledArtifacts file describes: its FloeSpec and its
/// platform Manifest, as the three-file layout would give them.
pub(super) struct Compiled {
    pub spec: FloeSpec,
    pub manifest: Manifest,
}

/// Reads `text` (the file's contents). Problems go to `diags`; `None` when
/// nothing can be mapped (it does not parse, or its major version is newer).
pub(super) fn read(text: &str, diags: &mut Vec<Diagnostic>) -> Option<Compiled> {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            diags.push(
                Diagnostic::error(COMPILED_FILE, "", format!("invalid JSON: {e}")).with_hint(
                    "compiled_artifacts.json is the JSON the floe platform's compile step writes",
                ),
            );
            return None;
        }
    };
    let version = value.get("version").and_then(Value::as_str).unwrap_or("");
    let newer = check_version(version, diags)?;
    let compiled: CompiledArtifacts = match serde_path_to_error::deserialize(&value) {
        Ok(c) => c,
        Err(e) => {
            let path = clean_path(&e.path().to_string());
            diags.push(
                Diagnostic::error(COMPILED_FILE, path, e.inner().to_string()).with_hint(format!(
                    "floe reads the CompiledArtifacts schema up to {KNOWN_VERSION}"
                )),
            );
            return None;
        }
    };
    let unknown = Unknown { version, newer };
    unknown.check(&compiled, diags);
    Some(map(compiled))
}

/// `Some(true)` when `version` is a newer minor than floe knows, `Some(false)`
/// when known; `None` (with the error) when it cannot be read safely.
fn check_version(version: &str, diags: &mut Vec<Diagnostic>) -> Option<bool> {
    let known = semver::Version::parse(KNOWN_VERSION).expect("a valid version");
    let Ok(found) = semver::Version::parse(version) else {
        diags.push(
            Diagnostic::error(
                COMPILED_FILE,
                "version",
                format!("CompiledArtifacts version {version:?} is not a semantic version"),
            )
            .with_hint("the platform's compile step writes `version: \"MAJOR.MINOR.PATCH\"`"),
        );
        return None;
    };
    if found.major != known.major {
        diags.push(
            Diagnostic::error(
                COMPILED_FILE,
                "version",
                format!(
                    "CompiledArtifacts version {found} is a major version this floe does not read (it reads {}.x, up to {known})",
                    known.major
                ),
            )
            .with_hint("deploy it with a floe that reads this version, or compile the product with a platform release of the same major version"),
        );
        return None;
    }
    Some((found.major, found.minor) > (known.major, known.minor))
}

/// Warns about fields floe does not know, saying why they may be there.
struct Unknown<'a> {
    version: &'a str,
    newer: bool,
}

impl Unknown<'_> {
    fn check(&self, c: &CompiledArtifacts, diags: &mut Vec<Diagnostic>) {
        self.fields("", &c.rest, &KEPT_ASIDE, diags);
        self.fields("metadata", &c.metadata.rest, &METADATA_FIELDS, diags);
        if let Some(o) = &c.observability {
            self.fields("observability", &o.rest, &OBSERVABILITY_FIELDS, diags);
            if let Some(t) = &o.telemetry {
                self.fields("observability.telemetry", t, &TELEMETRY_FIELDS, diags);
            }
        }
        for (category, plugin) in c.plugins.iter().flatten() {
            if !PLUGIN_CATEGORIES.contains(&category.as_str()) {
                self.warn(&format!("plugins.{category}"), "plugin category", diags);
            }
            if let Some(p) = plugin {
                self.fields(&format!("plugins.{category}"), &p.rest, &[], diags);
            }
        }
        if let Some(t) = &c.transforms {
            self.fields("transforms", &t.rest, &[], diags);
            for (i, m) in t.models.iter().enumerate() {
                self.fields(&format!("transforms.models[{i}]"), &m.rest, &[], diags);
            }
        }
    }

    fn fields(
        &self,
        at: &str,
        rest: &BTreeMap<String, Value>,
        known: &[&str],
        diags: &mut Vec<Diagnostic>,
    ) {
        for key in rest.keys().filter(|k| !known.contains(&k.as_str())) {
            self.warn(&super::diag::join(at, key), "field", diags);
        }
    }

    fn warn(&self, path: &str, what: &str, diags: &mut Vec<Diagnostic>) {
        let why = if self.newer {
            format!(
                "CompiledArtifacts {} is newer than {KNOWN_VERSION}, the newest this floe knows",
                self.version
            )
        } else {
            format!("not part of CompiledArtifacts {}", self.version)
        };
        diags.push(
            Diagnostic::warning(
                COMPILED_FILE,
                path,
                format!("unknown {what} ignored ({why})"),
            )
            .with_hint(
                "floe deploys what it knows of the file; upgrade floe to use the newer fields",
            ),
        );
    }
}

/// The FloeSpec and Manifest of the compiled output.
fn map(c: CompiledArtifacts) -> Compiled {
    let default_compute = c
        .transforms
        .as_ref()
        .and_then(|t| t.default_compute.clone());
    let transforms = c
        .transforms
        .map(|t| t.models)
        .unwrap_or_default()
        .into_iter()
        .map(|m| Transform {
            name: m.name,
            compute: m.compute.or_else(|| default_compute.clone()),
            tags: m.tags,
            depends_on: m.depends_on,
            tier: m.quality_tier,
            quality_checks: m.quality_checks,
        })
        .collect();
    let spec = FloeSpec {
        api_version: "floe.dev/v1".into(),
        kind: "FloeSpec".into(),
        metadata: FloeMetadata {
            name: c.metadata.product_name,
            version: c.metadata.product_version,
            description: None,
            owner: None,
            labels: None,
        },
        platform: None,
        transforms,
        schedule: None,
        output_ports: None,
        destinations: None,
    };
    let plugins = c
        .plugins
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(category, p)| {
            let p = p?;
            Some((
                category,
                Plugin {
                    plugin_type: p.plugin_type,
                    version: p.version,
                    config: p.config,
                    connection_secret_ref: None,
                    extra: BTreeMap::new(),
                },
            ))
        })
        .collect();
    let observability = c.observability.map(|o| {
        let mut v = json!(o.rest);
        v["telemetry"] = json!(o.telemetry);
        v
    });
    let manifest = Manifest {
        api_version: "floe.dev/v1".into(),
        kind: "Manifest".into(),
        metadata: None,
        plugins,
        observability,
        governance: c.governance,
        artifacts: None,
        resource_presets: BTreeMap::new(),
        deployment: None,
        unknown: BTreeMap::new(),
    };
    Compiled { spec, manifest }
}

/// A path of floe's model as it is spelled in compiled_artifacts.json, for
/// diagnostics about the mapped FloeSpec.
pub(super) fn compiled_path(path: &str) -> String {
    let path = path
        .replacen("metadata.name", "metadata.product_name", 1)
        .replacen("metadata.version", "metadata.product_version", 1)
        .replacen("transforms[", "transforms.models[", 1);
    path.replace(".dependsOn", ".depends_on")
        .replace(".tier", ".quality_tier")
        .replace(".qualityChecks", ".quality_checks")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal(version: &str) -> Value {
        json!({"version": version, "metadata": {"product_name": "p", "product_version": "1.0.0"}})
    }

    #[test]
    fn versions_of_another_major_are_refused_naming_both() {
        let mut diags = Vec::new();
        assert!(read(&minimal("1.0.0").to_string(), &mut diags).is_none());
        assert_eq!(diags.len(), 1);
        assert!(
            diags[0].message.contains("version 1.0.0") && diags[0].message.contains(KNOWN_VERSION),
            "{diags:?}"
        );
    }

    #[test]
    fn a_newer_minor_warns_about_its_new_fields_only() {
        let mut newer = minimal("0.99.0");
        newer["lineage_graph"] = json!({});
        newer["identity"] = json!({"product_id": "x.p"});
        let mut diags = Vec::new();
        let c = read(&newer.to_string(), &mut diags).expect("read");
        assert_eq!(c.spec.metadata.name, "p");
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].path, "lineage_graph");
        assert!(!diags[0].is_error());
        assert!(
            diags[0].message.contains("0.99.0 is newer than"),
            "{diags:?}"
        );
    }

    #[test]
    fn spec_paths_are_named_as_the_file_spells_them() {
        assert_eq!(compiled_path("metadata.name"), "metadata.product_name");
        assert_eq!(
            compiled_path("transforms[2].dependsOn[0]"),
            "transforms.models[2].depends_on[0]"
        );
    }
}
