//! Loading a product directory: floe.yaml and the manifest it names (or
//! the platform's compiled output), and the settings layers merged for one
//! environment.

use super::compiled::{self, COMPILED_FILE};
use super::layers::{check_settings_layer, merge_settings, Layer};
use super::parse::{parse_typed, parse_typed_keep};
use super::{
    defaults, DeploySettings, Diagnostic, Environment, FloeSpec, Manifest, Product,
    DEFAULT_MANIFEST_FILE, SETTINGS_FILE, SPEC_FILE,
};
use std::path::Path;

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

/// A platform manifest floe.yaml names by `oci://` reference, fetched by
/// the caller: the model reads nothing but the product directory.
#[derive(Debug, Clone)]
pub struct RemoteManifest {
    /// As floe.yaml writes it: `oci://registry/repository:tag`.
    pub reference: String,
    /// The digest of the artifact it was read from.
    pub digest: String,
    pub text: String,
}

/// What loading takes besides the directory and the environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Inputs<'a> {
    /// `--image`: for workloads that name none.
    pub image: Option<&'a str>,
    /// The platform manifest, when floe.yaml names it by `oci://` reference.
    pub manifest: Option<&'a RemoteManifest>,
}

/// Reads and type-checks the product in `dir` for `env`. Semantic rules are
/// applied separately by [`super::validate::validate`].
pub fn load(dir: &Path, env: Environment, image: Option<&str>) -> Result<Product, LoadError> {
    load_with(
        dir,
        env,
        &Inputs {
            image,
            manifest: None,
        },
    )
}

/// [`load`] with everything loading takes. A directory without floe.yaml
/// but with `compiled_artifacts.json` is the platform's compiled output
/// (docs/platform-inputs.md).
pub fn load_with(dir: &Path, env: Environment, inputs: &Inputs) -> Result<Product, LoadError> {
    let mut diags = Vec::new();
    let read = if !dir.join(SPEC_FILE).is_file() && dir.join(COMPILED_FILE).is_file() {
        read_compiled(dir, &mut diags)?
    } else {
        read_spec(dir, inputs.manifest, &mut diags)?
    };
    let mut warnings = unknown_manifest_keys(&read.manifest);
    let layers = settings_layers(dir, env, read.spec.as_ref(), &read.manifest, &mut diags)?;
    let settings = merge_settings(&layers, env, &mut diags);
    let input_digest = input_digest(&read.files, &layers);

    if diags.iter().any(Diagnostic::is_error) {
        return Err(LoadError::Invalid(diags));
    }
    // Both are Some when no error was recorded.
    let (Some(spec), Some(settings)) = (read.spec, settings) else {
        return Err(LoadError::Invalid(diags));
    };
    warnings.extend(diags);
    Ok(Product {
        dir: dir.to_path_buf(),
        env,
        spec,
        spec_file: read.spec_file,
        manifest: read.manifest.manifest,
        manifest_file: read.manifest.file,
        manifest_digest: read.manifest.digest,
        settings,
        image_override: inputs.image.map(str::to_string),
        warnings,
        input_digest,
    })
}

/// The spec and manifest as read, and each input's name and text for the
/// input digest (floe-deploy.yaml is added from the settings layers).
struct Read {
    spec: Option<FloeSpec>,
    spec_file: String,
    manifest: ManifestInput,
    files: Vec<(String, String)>,
}

/// floe.yaml and the platform manifest it names.
fn read_spec(
    dir: &Path,
    remote: Option<&RemoteManifest>,
    diags: &mut Vec<Diagnostic>,
) -> Result<Read, LoadError> {
    let spec_text = read_required(
        dir,
        SPEC_FILE,
        "run floe in a product directory (floe.yaml, or the platform's compiled_artifacts.json) or pass it: `floe validate path/to/product --env dev`",
    )?;
    let spec: Option<FloeSpec> = parse_typed(SPEC_FILE, &spec_text, diags);
    let manifest = read_manifest(dir, spec.as_ref(), remote, diags)?;
    let manifest_name = match &manifest.digest {
        Some(digest) => format!("{}@{digest}", manifest.file),
        None => manifest.file.clone(),
    };
    let files = vec![
        (SPEC_FILE.to_string(), spec_text),
        (manifest_name, manifest.text.clone()),
    ];
    Ok(Read {
        spec,
        spec_file: SPEC_FILE.to_string(),
        manifest,
        files,
    })
}

/// The platform's compiled output: its FloeSpec and Manifest, mapped.
fn read_compiled(dir: &Path, diags: &mut Vec<Diagnostic>) -> Result<Read, LoadError> {
    let text = read_file(&dir.join(COMPILED_FILE), COMPILED_FILE)?;
    let compiled = compiled::read(&text, diags);
    let (spec, manifest) = match compiled {
        Some(c) => (Some(c.spec), Some(c.manifest)),
        None => (None, None),
    };
    Ok(Read {
        spec,
        spec_file: COMPILED_FILE.to_string(),
        manifest: ManifestInput {
            file: COMPILED_FILE.to_string(),
            manifest,
            text: String::new(),
            digest: None,
        },
        files: vec![(COMPILED_FILE.to_string(), text)],
    })
}

/// A digest of every input the product was read from (floe.yaml and the
/// manifest, or the compiled output; floe-deploy.yaml), each with its name
/// (an `oci://` manifest's with its digest): what a saved plan is bound
/// to, so that a plan made from other inputs is never applied.
fn input_digest(files: &[(String, String)], layers: &[Layer]) -> String {
    use sha2::{Digest, Sha256};
    let settings = layers.iter().find(|l| l.file == SETTINGS_FILE);
    let files = files
        .iter()
        .map(|(name, text)| (name.as_str(), Some(text.as_str())))
        .chain([(SETTINGS_FILE, settings.map(|l| l.text.as_str()))]);
    let mut hasher = Sha256::new();
    for (name, text) in files {
        hasher.update(name.as_bytes());
        match text {
            // The length keeps one file's end from passing for the next one's start.
            Some(text) => hasher.update(format!("\0{}\0", text.len()).as_bytes()),
            None => hasher.update(b"\0absent\0"),
        }
        hasher.update(text.unwrap_or_default().as_bytes());
    }
    format!("sha256:{}", hex::encode(hasher.finalize()))
}

/// The manifest as read: its name as the user wrote it (a file, or an
/// `oci://` reference), the parsed manifest, its text (empty when not
/// read) and, fetched from a registry, its digest.
struct ManifestInput {
    file: String,
    manifest: Option<Manifest>,
    text: String,
    digest: Option<String>,
}

/// Reads the manifest floe.yaml names (by default `manifest.yaml`, which
/// may be missing); an `oci://` reference is the one the caller fetched.
fn read_manifest(
    dir: &Path,
    spec: Option<&FloeSpec>,
    remote: Option<&RemoteManifest>,
    diags: &mut Vec<Diagnostic>,
) -> Result<ManifestInput, LoadError> {
    let named = spec
        .and_then(|s| s.platform.as_ref())
        .map(|p| p.manifest.clone());
    let file = named
        .clone()
        .unwrap_or_else(|| DEFAULT_MANIFEST_FILE.to_string());
    let mut input = ManifestInput {
        file,
        manifest: None,
        text: String::new(),
        digest: None,
    };
    if input.file.starts_with("oci://") {
        match remote.filter(|r| r.reference == input.file) {
            Some(r) => {
                input.text = r.text.clone();
                input.digest = Some(r.digest.clone());
                input.manifest = parse_typed::<Manifest>(&input.file, &input.text, diags);
            }
            None => diags.push(
                Diagnostic::error(SPEC_FILE, "platform.manifest", format!("the platform manifest {:?} was not fetched", input.file))
                    .with_hint("floe fetches an oci:// manifest where it reads the product (validate, render, plan, deploy, ...); pass the registry options those commands take"),
            ),
        }
        return Ok(input);
    }
    let path = dir.join(&input.file);
    if path.is_file() {
        input.text = read_file(&path, &input.file)?;
        input.manifest = parse_typed::<Manifest>(&input.file, &input.text, diags);
    } else if named.is_some() {
        return Err(LoadError::NotFound {
            file: input.file,
            dir: dir.display().to_string(),
            hint: "floe.yaml's `platform.manifest` names a file relative to the product directory"
                .to_string(),
        });
    }
    Ok(input)
}

fn unknown_manifest_keys(input: &ManifestInput) -> Vec<Diagnostic> {
    let Some(m) = &input.manifest else {
        return Vec::new();
    };
    m.unknown
        .keys()
        .map(|key| {
            Diagnostic::warning(&input.file, key.clone(), "unknown top-level key (ignored)")
                .with_hint("floe reads deployment defaults from the `deployment:` key")
        })
        .collect()
}

/// Settings: the default workloads first, the manifest's `deployment:` over
/// them, floe-deploy.yaml over that; each side's overlay for the
/// environment is applied later, in the same order.
fn settings_layers(
    dir: &Path,
    env: Environment,
    spec: Option<&FloeSpec>,
    manifest: &ManifestInput,
    diags: &mut Vec<Diagnostic>,
) -> Result<Vec<Layer>, LoadError> {
    let mut layers: Vec<Layer> = Vec::new();
    if let Some(spec) = spec {
        layers.push(Layer {
            file: "(defaults)".into(),
            prefix: String::new(),
            value: defaults::default_workloads(spec, env),
            text: String::new(),
        });
    }
    let file = &manifest.file;
    if let Some(base) = manifest
        .manifest
        .as_ref()
        .and_then(|m| m.deployment.clone())
    {
        if check_settings_layer(file, "deployment", &base, &manifest.text, diags) {
            layers.push(Layer {
                file: file.clone(),
                prefix: "deployment".into(),
                value: base,
                text: manifest.text.clone(),
            });
        }
    }
    let settings_path = dir.join(SETTINGS_FILE);
    if settings_path.is_file() {
        let text = read_file(&settings_path, SETTINGS_FILE)?;
        if let Some(value) = parse_typed_keep::<DeploySettings>(SETTINGS_FILE, &text, diags) {
            layers.push(Layer {
                file: SETTINGS_FILE.to_string(),
                prefix: String::new(),
                value,
                text,
            });
        }
    }
    Ok(layers)
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
    let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
        file: file.to_string(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|e| {
        // An invalid file, not an unreadable one: say where, like any
        // other problem in it (never the bytes themselves).
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        LoadError::Invalid(vec![Diagnostic::error(
            file,
            "",
            "the file is not UTF-8 text",
        )
        .with_line(Some(line))
        .with_hint("save it as UTF-8 (YAML files are UTF-8)")])
    })
}
