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
    let mut manifest_text = None;
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
            manifest_text = Some(text);
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
    let mut layers: Vec<Layer> = Vec::new();
    if let Some(spec) = &spec {
        layers.push(Layer {
            file: "(defaults)".into(),
            prefix: String::new(),
            value: defaults::default_workloads(spec, env),
            text: String::new(),
        });
    }
    if let Some(base) = manifest.as_ref().and_then(|m| m.deployment.clone()) {
        let text = manifest_text.unwrap_or_default();
        if check_settings_layer(&manifest_file, "deployment", &base, &text, &mut diags) {
            layers.push(Layer {
                file: manifest_file.clone(),
                prefix: "deployment".into(),
                value: base,
                text,
            });
        }
    }
    let settings_path = dir.join(SETTINGS_FILE);
    if settings_path.is_file() {
        let text = read_file(&settings_path, SETTINGS_FILE)?;
        if let Some(value) = parse_typed_keep::<DeploySettings>(SETTINGS_FILE, &text, &mut diags) {
            layers.push(Layer {
                file: SETTINGS_FILE.to_string(),
                prefix: String::new(),
                value,
                text,
            });
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
    parse_yaml_value(file, text, diags)?;
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
                text,
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
                    .with_line(Some(1))
                    .with_hint(
                        "the file holds one mapping of `key: value` lines, not a list or a scalar",
                    ),
            );
            None
        }
        Err(err) => {
            let line = err.location().map(|l| l.line());
            let message = strip_location(&err.to_string());
            let hint = if message.contains("more than one document") {
                "the file holds a single YAML document: remove the `---` separators"
            } else {
                "fix the YAML syntax on or just before this line (indentation, a missing `:`, an unclosed bracket or quote)"
            };
            diags.push(
                Diagnostic::error(file, "", format!("invalid YAML: {message}"))
                    .with_line(line)
                    .with_hint(hint),
            );
            None
        }
    }
}

/// One settings layer: where it came from, the path prefix of its fields
/// in that file, the value, and the file's text (for line numbers).
struct Layer {
    file: String,
    prefix: String,
    value: Value,
    text: String,
}

/// Type-checks one settings layer that arrived as a JSON value.
fn check_settings_layer(
    file: &str,
    prefix: &str,
    value: &Value,
    text: &str,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    match serde_path_to_error::deserialize::<_, DeploySettings>(value) {
        Ok(_) => true,
        Err(err) => {
            let inner = clean_path(&err.path().to_string());
            let path = if inner.is_empty() {
                prefix.to_string()
            } else {
                diag::join(prefix, &inner)
            };
            diags.push(type_diagnostic(
                file,
                &path,
                &err.inner().to_string(),
                None,
                text,
            ));
            false
        }
    }
}

/// Removes `null` members of mappings: in a merge patch they delete a key,
/// so they are not values to type-check.
fn strip_nulls(value: &mut Value) {
    if let Value::Object(map) = value {
        map.retain(|_, v| !v.is_null());
        map.values_mut().for_each(strip_nulls);
    } else if let Value::Array(items) = value {
        items.iter_mut().for_each(strip_nulls);
    }
}

/// Checks every overlay of a layer, whichever environment is being loaded,
/// so a typo in `environments.prod` shows up in a dev run too. Returns
/// whether the overlay for `env` had a problem.
fn check_overlays(layer: &Layer, env: Environment, diags: &mut Vec<Diagnostic>) -> bool {
    let Some(envs) = layer.value.get("environments") else {
        return false;
    };
    let Some(envs) = envs.as_object() else {
        // Already reported when the layer itself was type-checked.
        return false;
    };
    let mut env_failed = false;
    for (name, overlay) in envs {
        let at = diag::join(&layer.prefix, &format!("environments.{name}"));
        let mut failed = true;
        if Environment::parse(name).is_none() {
            let hint = match closest(name, &["dev", "staging", "prod"]) {
                Some(near) => {
                    format!("did you mean `{near}`? environments are dev, staging and prod")
                }
                None => "environments are dev, staging and prod".to_string(),
            };
            diags.push(
                Diagnostic::error(
                    &layer.file,
                    at.clone(),
                    format!("unknown environment {name:?}"),
                )
                .with_line(find_line(&layer.text, &at))
                .with_hint(hint),
            );
            continue;
        }
        if !overlay.is_object() && !overlay.is_null() {
            diags.push(
                Diagnostic::error(
                    &layer.file,
                    at.clone(),
                    "an overlay must be a mapping with the same fields as the file",
                )
                .with_line(find_line(&layer.text, &at))
                .with_hint(format!(
                    "write the fields to change under `environments.{name}:`, e.g. `workloads: {{code-location: {{replicas: 3}}}}`"
                )),
            );
        } else if overlay.get("environments").is_some() {
            let nested = diag::join(&at, "environments");
            diags.push(
                Diagnostic::error(
                    &layer.file,
                    nested.clone(),
                    "overlays cannot nest `environments`",
                )
                .with_line(find_line(&layer.text, &nested))
                .with_hint("move the nested overlay up to the file's own `environments:`"),
            );
        } else if overlay.is_null() {
            // `prod:` with nothing under it changes nothing.
            failed = false;
        } else {
            let mut overlay = overlay.clone();
            strip_nulls(&mut overlay);
            match serde_path_to_error::deserialize::<_, DeploySettings>(&overlay) {
                // A partial overlay may leave out required fields that the
                // file it patches has; the merged result is checked later.
                Err(err) if !err.inner().to_string().starts_with("missing field") => {
                    let inner = clean_path(&err.path().to_string());
                    let path = if inner.is_empty() {
                        at.clone()
                    } else {
                        diag::join(&at, &inner)
                    };
                    diags.push(type_diagnostic(
                        &layer.file,
                        &path,
                        &err.inner().to_string(),
                        None,
                        &layer.text,
                    ));
                }
                _ => failed = false,
            }
        }
        if failed && name == env.as_str() {
            env_failed = true;
        }
    }
    env_failed
}

fn merge_settings(
    layers: &[Layer],
    env: Environment,
    diags: &mut Vec<Diagnostic>,
) -> Option<DeploySettings> {
    let mut merged = Value::Object(Default::default());
    for layer in layers {
        let mut value = layer.value.clone();
        if let Some(obj) = value.as_object_mut() {
            obj.remove("environments");
        }
        json_patch::merge(&mut merged, &value);
    }
    let mut overlay_failed = false;
    for layer in layers {
        if check_overlays(layer, env, diags) {
            overlay_failed = true;
            continue;
        }
        if let Some(overlay) = layer
            .value
            .get("environments")
            .and_then(|e| e.get(env.as_str()))
            // A merge patch that is not a mapping would replace the whole
            // document; an empty `prod:` changes nothing.
            .filter(|o| o.is_object())
        {
            json_patch::merge(&mut merged, overlay);
        }
    }
    match serde_path_to_error::deserialize::<_, DeploySettings>(&merged) {
        Ok(s) => Some(s),
        // The overlay's own problem is reported already, at its own path.
        Err(_) if overlay_failed => None,
        Err(err) => {
            let path = clean_path(&err.path().to_string());
            let file = layers
                .last()
                .map(|l| l.file.as_str())
                .unwrap_or(SETTINGS_FILE);
            let d = type_diagnostic(file, &path, &err.inner().to_string(), None, "");
            let overlay = format!("the value comes from the `environments.{env}` overlay");
            let hint = match &d.hint {
                Some(h) => format!("{h}; {overlay}"),
                None => overlay,
            };
            diags.push(d.with_hint(hint));
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

/// Turns a serde message into a diagnostic in plain words, with a hint that
/// names the accepted fields or values where serde listed them. `text` is
/// the file's YAML, used to find the line when the parser did not say.
fn type_diagnostic(
    file: &str,
    path: &str,
    message: &str,
    line: Option<usize>,
    text: &str,
) -> Diagnostic {
    let message = strip_path_prefix(&strip_location(message), path);
    let line = line.or_else(|| find_line(text, path));
    let shape = if file == SPEC_FILE {
        "floe.yaml follows the floe platform's FloeSpec schema"
    } else if file == SETTINGS_FILE || path.starts_with("deployment") {
        "see docs/deploy-settings.md for the settings' shape"
    } else {
        "see the floe platform's manifest schema"
    };
    // `unknown field `x`, expected one of `a`, `b`` and the same for variants.
    for what in ["unknown field", "unknown variant"] {
        let Some(rest) = message.strip_prefix(what) else {
            continue;
        };
        let (name, accepted) = match rest.split_once(", expected ") {
            Some((name, accepted)) => (name.trim(), accepted),
            None => (rest.trim(), ""),
        };
        let options: Vec<&str> = accepted
            .trim_start_matches("one of ")
            .split(", ")
            .map(|o| o.trim_matches('`'))
            .filter(|o| !o.is_empty())
            .collect();
        let bare = name.trim_matches('`');
        let mut hint = String::new();
        if let Some(near) = closest(bare, &options) {
            hint.push_str(&format!("did you mean `{near}`? "));
        }
        if options.is_empty() {
            hint.push_str(&format!("nothing is accepted here; {shape}"));
        } else if what == "unknown field" {
            hint.push_str(&format!("fields accepted here: {}", options.join(", ")));
        } else {
            hint.push_str(&format!("values accepted here: {}", options.join(", ")));
        }
        let noun = if what == "unknown field" {
            "unknown field"
        } else {
            "unknown value"
        };
        return Diagnostic::error(file, path, format!("{noun} {name}"))
            .with_line(line)
            .with_hint(hint);
    }
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        return Diagnostic::error(file, path, format!("missing required field `{field}`"))
            .with_line(line)
            .with_hint(format!("add `{field}:` here; {shape}"));
    }
    if let Some(rest) = message.strip_prefix("data did not match any variant of untagged enum ") {
        let (what, hint) = match rest.trim() {
            "Quantityish" => (
                "expected a quantity",
                "use Kubernetes quantities such as 500m or 2 for CPU, 512Mi or 2Gi for memory",
            ),
            "PortValue" => (
                "expected a port",
                "use a port number (1-65535) or the name of a port declared under `ports:`",
            ),
            "IntOrPercent" => (
                "expected a count or a percentage",
                "use a whole number such as 1 or a percentage such as \"25%\"",
            ),
            "ResourcePreset" => (
                "not a resource preset",
                "write either `{requests: {cpu, memory}, limits: {cpu, memory}}` or `{cpu_request, cpu_limit, memory_request, memory_limit}`",
            ),
            _ => ("unexpected value", shape),
        };
        return Diagnostic::error(file, path, what.to_string())
            .with_line(line)
            .with_hint(hint);
    }
    let message = humanise(&message);
    let hint = match message.split_once(", expected ") {
        Some((_, expected)) => format!("write {expected} here; {shape}"),
        None => shape.to_string(),
    };
    Diagnostic::error(file, path, message)
        .with_line(line)
        .with_hint(hint)
}

/// serde_norway puts the path of the failing mapping in front of its
/// message (`workloads.api: unknown field ...`); the diagnostic has the
/// path already.
fn strip_path_prefix(message: &str, path: &str) -> String {
    if let Some((head, rest)) = message.split_once(": ") {
        let head_is_path = !head.contains(' ')
            && !head.is_empty()
            && (path == head
                || path.starts_with(&format!("{head}."))
                || path.starts_with(&format!("{head}[")));
        if head_is_path {
            return rest.to_string();
        }
    }
    message.to_string()
}

/// serde's Rust type names in the words a YAML author uses.
fn humanise(message: &str) -> String {
    let mut m = message.to_string();
    for (from, to) in [
        ("expected u32", "expected a whole number (0 or more)"),
        ("expected u16", "expected a whole number from 0 to 65535"),
        ("expected u64", "expected a whole number (0 or more)"),
        ("expected i64", "expected a whole number"),
        ("expected a sequence", "expected a list"),
        ("expected a map", "expected a mapping"),
        ("expected a boolean", "expected true or false"),
        ("invalid type: sequence", "invalid type: list"),
        ("invalid type: map", "invalid type: mapping"),
        ("invalid type: unit value", "invalid type: empty value"),
    ] {
        if let Some(i) = m.find(from) {
            let end = i + from.len();
            // Only whole words: `expected a map` but not `expected a mapping`.
            if !m[end..].starts_with(|c: char| c.is_ascii_alphanumeric()) {
                m.replace_range(i..end, to);
            }
        }
    }
    if let Some(i) = m.find("expected struct ") {
        m.replace_range(i.., "expected a mapping");
    }
    if let Some(i) = m.find("expected enum ") {
        m.replace_range(i.., "expected one of the listed values");
    }
    m
}

/// The candidate closest to `word` by edit distance, if it is close enough
/// to be a typo.
fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    let lower = word.to_lowercase();
    // `production` for `prod`, `replica` for `replicas`.
    let prefix = candidates.iter().find(|c| {
        let c = c.to_lowercase();
        c.len() >= 3 && lower.len() >= 3 && (lower.starts_with(&c) || c.starts_with(&lower))
    });
    if prefix.is_some() {
        return prefix.copied();
    }
    candidates
        .iter()
        .map(|c| (edit_distance(&word.to_lowercase(), &c.to_lowercase()), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// serde_norway appends ` at line L column C`; the diagnostic carries the
/// line itself.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// One step of a field path: a mapping key or a list index.
#[derive(Clone, Copy)]
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

fn segments(path: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Segment::Key(key));
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let Some(end) = inner.find(']') else { break };
            if let Ok(n) = inner[..end].parse() {
                out.push(Segment::Index(n));
            }
            rest = &inner[end + 1..];
        }
    }
    out
}

/// A line of YAML seen as block structure: the indentation of its first
/// key (after any `- ` item markers), the indentation of its first `-`, and
/// the text from the key on.
struct YamlLine<'a> {
    indent: usize,
    dash: Option<usize>,
    content: &'a str,
}

fn yaml_line(line: &str) -> Option<YamlLine<'_>> {
    let trimmed = line.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("---") {
        return None;
    }
    let mut indent = line.len() - trimmed.len();
    let mut content = trimmed;
    let mut dash = None;
    while let Some(rest) = content.strip_prefix('-') {
        if !(rest.is_empty() || rest.starts_with(' ')) {
            break;
        }
        dash.get_or_insert(indent);
        let after = rest.trim_start();
        indent += content.len() - after.len();
        content = after;
    }
    Some(YamlLine {
        indent,
        dash,
        content,
    })
}

fn starts_with_key(content: &str, key: &str) -> bool {
    [key.to_string(), format!("\"{key}\""), format!("'{key}'")]
        .iter()
        .any(|k| {
            content
                .strip_prefix(k.as_str())
                .is_some_and(|r| r.trim_start().starts_with(':'))
        })
}

/// Best-effort 1-based line of a dotted field path in block-style YAML, for
/// problems found after parsing (merged settings, values read as JSON).
pub(crate) fn find_line(text: &str, path: &str) -> Option<usize> {
    locate(text, path).map(|(line, _)| line)
}

/// Like [`find_line`], but only when the whole path is in the file: as
/// block lines, or with its last steps written flow style on the line found
/// (`resources: {requests: {cpu: 2}}`). For semantic problems, whose path
/// may name a field the file leaves to a default.
pub(crate) fn find_line_exact(text: &str, path: &str) -> Option<usize> {
    locate(text, path).and_then(|(line, complete)| complete.then_some(line))
}

/// The deepest line of `path` found, and whether the rest of the path is
/// on that line.
fn locate(text: &str, path: &str) -> Option<(usize, bool)> {
    if text.is_empty() || path.is_empty() {
        return None;
    }
    let lines: Vec<Option<YamlLine>> = text.lines().map(yaml_line).collect();
    // The block being searched starts at line `from`; `parent` is the
    // indentation of the key or the `-` of the item that owns it.
    let mut from = 0usize;
    let mut parent: Option<(usize, bool)> = None;
    let mut found: Option<usize> = None;
    let in_block = |l: &YamlLine, parent: Option<(usize, bool)>| match (parent, l.dash) {
        (None, _) => true,
        // A compact list (`key:` then `- item` at the same indentation)
        // belongs to the key.
        (Some((p, false)), Some(d)) => d >= p,
        (Some((p, true)), Some(d)) => d > p,
        (Some((p, _)), None) => l.indent > p,
    };
    let segs = segments(path);
    let mut complete = true;
    for (n, seg) in segs.iter().enumerate() {
        let seg = *seg;
        let mut hit = None;
        let mut level = None;
        let mut items = 0usize;
        for (i, l) in lines.iter().enumerate().skip(from) {
            let Some(l) = l else { continue };
            let own_item_line = found == Some(i);
            if !own_item_line && !in_block(l, parent) {
                break;
            }
            match seg {
                Segment::Key(key) => {
                    let lvl = *level.get_or_insert(l.indent);
                    if l.indent == lvl && starts_with_key(l.content, key) {
                        hit = Some((i, (l.indent, false), i + 1));
                        break;
                    }
                }
                Segment::Index(n) => {
                    let Some(d) = l.dash else { continue };
                    if d != *level.get_or_insert(d) {
                        continue;
                    }
                    if items == n {
                        // The item's first key sits on the same line.
                        hit = Some((i, (d, true), i));
                        break;
                    }
                    items += 1;
                }
            }
        }
        match hit {
            Some((line, owner, next)) => {
                found = Some(line);
                parent = Some(owner);
                from = next;
            }
            // Flow style (`{cpu: 1}`) or a key not in the file: stop at the
            // deepest line found.
            None => {
                complete = found.is_some_and(|line| {
                    let text = text.lines().nth(line).unwrap_or("");
                    segs[n..].iter().all(|s| match s {
                        Segment::Key(k) => {
                            text.contains(&format!("{k}:")) || text.contains(&format!("\"{k}\":"))
                        }
                        Segment::Index(_) => text.contains('['),
                    })
                });
                break;
            }
        }
    }
    found.map(|i| (i + 1, complete))
}
