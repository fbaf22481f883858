//! The input model: a product directory read into typed data.
//!
//! Loading never stops at the first problem it can step over: each file that
//! parses is checked, and every problem comes back as a [`Diagnostic`].

pub mod defaults;
pub mod diag;
pub mod platform;
pub mod quantity;
pub mod settings;
pub mod validate;

pub use diag::{Diagnostic, Severity};
pub use platform::{FloeSpec, Manifest};
pub use settings::{DeploySettings, WorkloadConfig, WorkloadKind, SETTINGS_FILE};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use std::path::{Path, PathBuf};

pub const SPEC_FILE: &str = "floe.yaml";
pub const DEFAULT_MANIFEST_FILE: &str = "manifest.yaml";

/// The environments the platform rules know. Each product gets one
/// namespace per environment, never shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Dev,
    Staging,
    Prod,
}

impl Environment {
    pub const ALL: [Environment; 3] = [Environment::Dev, Environment::Staging, Environment::Prod];

    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Dev => "dev",
            Environment::Staging => "staging",
            Environment::Prod => "prod",
        }
    }

    pub fn parse(text: &str) -> Option<Environment> {
        Environment::ALL.into_iter().find(|e| e.as_str() == text)
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A product directory read for one environment, overlays applied.
#[derive(Debug, Clone)]
pub struct Product {
    pub dir: PathBuf,
    pub env: Environment,
    pub spec: FloeSpec,
    pub manifest: Option<Manifest>,
    /// The manifest's path as the user wrote it, for messages.
    pub manifest_file: String,
    /// Merged settings: manifest `deployment:` ⊕ floe-deploy.yaml ⊕ overlays.
    pub settings: DeploySettings,
    /// Image given on the command line; wins over the settings file.
    pub image_override: Option<String>,
    /// Warnings met while loading (unknown manifest keys, ...).
    pub warnings: Vec<Diagnostic>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{file} not found in {dir}")]
    NotFound {
        file: String,
        dir: String,
        hint: String,
    },
    #[error("cannot read {file}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{} problem(s) in the inputs", .0.iter().filter(|d| d.is_error()).count())]
    Invalid(Vec<Diagnostic>),
}

impl LoadError {
    pub fn hint(&self) -> Option<&str> {
        match self {
            LoadError::NotFound { hint, .. } => Some(hint),
            LoadError::Read { .. } => Some("check the file's permissions"),
            LoadError::Invalid(_) => None,
        }
    }

    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            LoadError::Invalid(diags) => diags,
            _ => &[],
        }
    }
}

/// Reads and type-checks the product in `dir` for `env`. Semantic rules are
/// applied separately by [`validate::validate`].
pub fn load(dir: &Path, env: Environment, image: Option<&str>) -> Result<Product, LoadError> {
    let mut diags = Vec::new();

    let spec_text = read_required(
        dir,
        SPEC_FILE,
        "run floe in a product directory or pass it: `floe validate path/to/product --env dev`",
    )?;
    let spec: Option<FloeSpec> = parse_typed(SPEC_FILE, &spec_text, &mut diags);

    let manifest_rel = spec
        .as_ref()
        .and_then(|s| s.platform.as_ref())
        .map(|p| p.manifest.clone());
    let mut manifest = None;
    let manifest_file = manifest_rel
        .clone()
        .unwrap_or_else(|| DEFAULT_MANIFEST_FILE.to_string());
    if manifest_file.starts_with("oci://") {
        diags.push(
            Diagnostic::error(SPEC_FILE, "platform.manifest", format!("manifest reference {manifest_file:?} is an OCI reference"))
                .with_hint("deploying from a local directory needs a local manifest: pull it next to floe.yaml and set `platform.manifest: ./manifest.yaml`"),
        );
    } else {
        let path = dir.join(&manifest_file);
        if path.is_file() {
            let text = read_file(&path, &manifest_file)?;
            manifest = parse_typed::<Manifest>(&manifest_file, &text, &mut diags);
        } else if manifest_rel.is_some() {
            return Err(LoadError::NotFound {
                file: manifest_file.clone(),
                dir: dir.display().to_string(),
                hint:
                    "floe.yaml's `platform.manifest` names a file relative to the product directory"
                        .to_string(),
            });
        }
    }

    let mut warnings = Vec::new();
    if let Some(m) = &manifest {
        for key in m.unknown.keys() {
            warnings.push(
                Diagnostic::warning(
                    &manifest_file,
                    key.clone(),
                    "unknown top-level key (ignored)",
                )
                .with_hint("floe reads deployment defaults from the `deployment:` key"),
            );
        }
    }

    // Settings: manifest `deployment:` is the base, floe-deploy.yaml goes over
    // it, then each side's overlay for the environment, in that order.
    let mut layers: Vec<(String, String, Value)> = Vec::new();
    if let Some(spec) = &spec {
        layers.push((
            "(defaults)".into(),
            String::new(),
            defaults::default_workloads(spec, env),
        ));
    }
    if let Some(base) = manifest.as_ref().and_then(|m| m.deployment.clone()) {
        if check_settings_layer(&manifest_file, "deployment", &base, &mut diags) {
            layers.push((manifest_file.clone(), "deployment".into(), base));
        }
    }
    let settings_path = dir.join(SETTINGS_FILE);
    if settings_path.is_file() {
        let text = read_file(&settings_path, SETTINGS_FILE)?;
        if let Some(value) = parse_typed_keep::<DeploySettings>(SETTINGS_FILE, &text, &mut diags) {
            layers.push((SETTINGS_FILE.to_string(), String::new(), value));
        }
    }
    let settings = merge_settings(&layers, env, &mut diags);

    if diags.iter().any(Diagnostic::is_error) {
        return Err(LoadError::Invalid(diags));
    }
    // Both are Some when no error was recorded.
    let (Some(spec), Some(settings)) = (spec, settings) else {
        return Err(LoadError::Invalid(diags));
    };
    warnings.extend(diags);
    Ok(Product {
        dir: dir.to_path_buf(),
        env,
        spec,
        manifest,
        manifest_file,
        settings,
        image_override: image.map(str::to_string),
        warnings,
    })
}

fn read_required(dir: &Path, file: &str, hint: &str) -> Result<String, LoadError> {
    let path = dir.join(file);
    if !path.is_file() {
        return Err(LoadError::NotFound {
            file: file.to_string(),
            dir: dir.display().to_string(),
            hint: hint.to_string(),
        });
    }
    read_file(&path, file)
}

fn read_file(path: &Path, file: &str) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        file: file.to_string(),
        source,
    })
}

/// Parses YAML text straight into `T`, recording a diagnostic with the field
/// path and line on failure.
pub fn parse_typed<T: DeserializeOwned>(
    file: &str,
    text: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<T> {
    let value = parse_yaml_value(file, text, diags)?;
    let de = serde_norway::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(t) => Some(t),
        Err(err) => {
            let line = err.inner().location().map(|l| l.line());
            let path = clean_path(&err.path().to_string());
            diags.push(type_diagnostic(
                file,
                &path,
                &err.inner().to_string(),
                line,
                &value,
            ));
            None
        }
    }
}

/// Like [`parse_typed`] but keeps the YAML as JSON (for merge patches).
fn parse_typed_keep<T: DeserializeOwned>(
    file: &str,
    text: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Value> {
    let value = parse_yaml_value(file, text, diags)?;
    parse_typed::<T>(file, text, diags).map(|_| value)
}

/// YAML → JSON value. An empty file is an empty mapping.
pub fn parse_yaml_value(file: &str, text: &str, diags: &mut Vec<Diagnostic>) -> Option<Value> {
    if text.trim().is_empty() {
        return Some(Value::Object(Default::default()));
    }
    match serde_norway::from_str::<Value>(text) {
        Ok(Value::Null) => Some(Value::Object(Default::default())),
        Ok(v @ Value::Object(_)) => Some(v),
        Ok(_) => {
            diags.push(
                Diagnostic::error(file, "", "expected a YAML mapping at the top level")
                    .with_line(Some(1)),
            );
            None
        }
        Err(err) => {
            let line = err.location().map(|l| l.line());
            diags.push(
                Diagnostic::error(
                    file,
                    "",
                    format!("invalid YAML: {}", strip_location(&err.to_string())),
                )
                .with_line(line),
            );
            None
        }
    }
}

/// Type-checks one settings layer that arrived as a JSON value.
fn check_settings_layer(
    file: &str,
    prefix: &str,
    value: &Value,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    match serde_path_to_error::deserialize::<_, DeploySettings>(value) {
        Ok(_) => true,
        Err(err) => {
            let path = diag::join(prefix, &clean_path(&err.path().to_string()));
            diags.push(type_diagnostic(
                file,
                &path,
                &err.inner().to_string(),
                None,
                value,
            ));
            false
        }
    }
}

fn merge_settings(
    layers: &[(String, String, Value)],
    env: Environment,
    diags: &mut Vec<Diagnostic>,
) -> Option<DeploySettings> {
    let mut merged = Value::Object(Default::default());
    for (_, _, layer) in layers {
        let mut layer = layer.clone();
        if let Some(obj) = layer.as_object_mut() {
            obj.remove("environments");
        }
        json_patch::merge(&mut merged, &layer);
    }
    for (file, prefix, layer) in layers {
        let Some(envs) = layer.get("environments").and_then(Value::as_object) else {
            continue;
        };
        for name in envs.keys() {
            if Environment::parse(name).is_none() {
                diags.push(
                    Diagnostic::error(
                        file,
                        diag::join(prefix, &format!("environments.{name}")),
                        format!("unknown environment {name:?}"),
                    )
                    .with_hint("environments are dev, staging and prod"),
                );
            }
        }
        if let Some(overlay) = envs.get(env.as_str()) {
            if !overlay.is_object() && !overlay.is_null() {
                diags.push(Diagnostic::error(
                    file,
                    diag::join(prefix, &format!("environments.{env}")),
                    "an overlay must be a mapping with the same fields as the file",
                ));
                continue;
            }
            if overlay.get("environments").is_some() {
                diags.push(Diagnostic::error(
                    file,
                    diag::join(prefix, &format!("environments.{env}.environments")),
                    "overlays cannot nest `environments`",
                ));
                continue;
            }
            json_patch::merge(&mut merged, overlay);
        }
    }
    match serde_path_to_error::deserialize::<_, DeploySettings>(&merged) {
        Ok(s) => Some(s),
        Err(err) => {
            let path = clean_path(&err.path().to_string());
            let file = layers.last().map(|l| l.0.as_str()).unwrap_or(SETTINGS_FILE);
            diags.push(
                type_diagnostic(file, &path, &err.inner().to_string(), None, &merged).with_hint(
                    format!("the value comes from the `environments.{env}` overlay"),
                ),
            );
            None
        }
    }
}

/// serde_path_to_error prints `.` for the root and `?` for unknown parts.
fn clean_path(path: &str) -> String {
    if path == "." {
        String::new()
    } else {
        path.to_string()
    }
}

/// Turns a serde message into a diagnostic with a hint that names the
/// accepted fields where serde listed them.
fn type_diagnostic(
    file: &str,
    path: &str,
    message: &str,
    line: Option<usize>,
    _doc: &Value,
) -> Diagnostic {
    let message = strip_location(message);
    let mut d = Diagnostic::error(file, path, message.clone()).with_line(line);
    if let Some(rest) = message.split_once("expected one of ").map(|(_, r)| r) {
        d = d.with_hint(format!("accepted here: {rest}"));
    } else if message.starts_with("missing field") {
        d = d.with_hint("add the field; see docs/deploy-settings.md for the file's shape");
    }
    d
}

/// serde_norway appends ` at line L column C`; the diagnostic carries the
/// line itself.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}
