//! Packing what `floe artifact push` publishes, each validated first: a
//! product directory, the platform's compiled output (with deployment
//! settings or without), or a platform manifest on its own.

use super::platform_manifest::{self, FetchedManifest};
use super::prepare::load_checked_everywhere;
use super::OpsError;
use crate::model::compiled::COMPILED_FILE;
use crate::model::{self, Diagnostic, Inputs, Manifest, SETTINGS_FILE};
use crate::oci;
use std::path::{Path, PathBuf};

/// An artifact packed, ready to push.
pub struct Packed {
    pub prepared: oci::PreparedArtifact,
    pub name: String,
    pub version: String,
    /// Warnings of the validation (every environment).
    pub warnings: Vec<Diagnostic>,
}

/// The product in `dir` packed as an artifact (validated for every
/// environment: an artifact is only worth publishing when it deploys
/// everywhere), carrying `bundle` in its annotation when given. A platform
/// manifest named by `oci://` reference (`manifest`, fetched by the caller)
/// is not carried: the deploy fetches and verifies it.
pub fn pack(
    dir: &Path,
    bundle: Option<&Path>,
    manifest: &Option<FetchedManifest>,
) -> Result<Packed, OpsError> {
    let inputs = platform_manifest::inputs(None, manifest);
    let (product, warnings) = load_checked_everywhere(dir, &inputs, |_| true)?;
    let bundle = read_bundle(bundle)?;
    let name = product.spec.metadata.name.clone();
    let version = product.spec.metadata.version.clone();
    let carried = (product.manifest_digest.is_none()).then_some(product.manifest_file.as_str());
    let prepared = oci::prepare(dir, &name, &version, carried, bundle.as_deref())?;
    Ok(Packed {
        prepared,
        name,
        version,
        warnings,
    })
}

/// The platform's compiled output (a compiled_artifacts.json) packed as
/// the platform's registry artifacts hold it, with `settings` (a
/// floe-deploy.yaml) as a second layer when given. Without settings the
/// artifact names no image: the deploy gives one with --image.
pub fn pack_compiled(
    compiled: &Path,
    settings: Option<&Path>,
    bundle: Option<&Path>,
) -> Result<Packed, OpsError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| OpsError::ReadFile {
            path: path.to_path_buf(),
            source,
        })
    };
    let compiled_bytes = read(compiled)?;
    let settings_bytes = settings.map(read).transpose()?;
    let stage = Stage::new()?;
    stage.write(COMPILED_FILE, &compiled_bytes)?;
    if let Some(bytes) = &settings_bytes {
        stage.write(SETTINGS_FILE, bytes)?;
    }
    let no_settings = settings_bytes.is_none();
    let (product, warnings) = load_checked_everywhere(&stage.0, &Inputs::default(), |d| {
        !(no_settings && is_missing_image(d))
    })?;
    let name = product.spec.metadata.name.clone();
    let version = product.spec.metadata.version.clone();
    let bundle = read_bundle(bundle)?;
    let prepared = oci::prepare_compiled(
        compiled_bytes,
        settings_bytes,
        (&name, &version),
        bundle.as_deref(),
    );
    Ok(Packed {
        prepared,
        name,
        version,
        warnings,
    })
}

/// A platform manifest packed on its own, for products whose floe.yaml
/// names it as `platform.manifest: oci://...`.
pub fn pack_platform_manifest(file: &Path, bundle: Option<&Path>) -> Result<Packed, OpsError> {
    let text = std::fs::read_to_string(file).map_err(|source| OpsError::ReadFile {
        path: file.to_path_buf(),
        source,
    })?;
    let shown = file.display().to_string();
    let mut diagnostics = Vec::new();
    let parsed = model::parse_typed::<Manifest>(&shown, &text, &mut diagnostics);
    let Some(manifest) = parsed.filter(|m| m.kind == "Manifest") else {
        if diagnostics.is_empty() {
            diagnostics.push(
                Diagnostic::error(&shown, "kind", "not a platform manifest")
                    .with_hint("a platform manifest has `kind: Manifest`"),
            );
        }
        return Err(OpsError::Invalid { diagnostics });
    };
    let meta = |key: &str| {
        manifest
            .metadata
            .as_ref()
            .and_then(|m| m.get(key))
            .and_then(|v| v.as_str())
            .unwrap_or("unnamed")
            .to_string()
    };
    let (name, version) = (meta("name"), meta("version"));
    let bundle = read_bundle(bundle)?;
    let prepared =
        oci::prepare_platform_manifest(text.into_bytes(), (&name, &version), bundle.as_deref());
    Ok(Packed {
        prepared,
        name,
        version,
        warnings: Vec::new(),
    })
}

/// The bytes a Sigstore bundle must sign for a packed artifact.
pub fn payload(packed: &Packed) -> Vec<u8> {
    oci::signed_payload(&packed.prepared.manifest.layer_triples())
}

/// The error of a product that names no image.
fn is_missing_image(d: &Diagnostic) -> bool {
    d.is_error()
        && d.file == SETTINGS_FILE
        && d.path == "image"
        && d.message.starts_with("no image")
}

/// A Sigstore bundle file, base64 as the annotation carries it.
fn read_bundle(bundle: Option<&Path>) -> Result<Option<String>, OpsError> {
    use base64::Engine;
    let Some(path) = bundle else {
        return Ok(None);
    };
    let bytes = std::fs::read(path).map_err(|source| OpsError::ReadBundle {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Some(
        base64::engine::general_purpose::STANDARD.encode(bytes),
    ))
}

/// A directory of its own where files are validated before they are
/// pushed; removed when dropped.
struct Stage(PathBuf);

impl Stage {
    fn new() -> Result<Stage, OpsError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!("floe-push-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|source| OpsError::WriteFile {
            path: dir.clone(),
            source,
        })?;
        Ok(Stage(dir))
    }

    fn write(&self, name: &str, bytes: &[u8]) -> Result<(), OpsError> {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).map_err(|source| OpsError::WriteFile { path, source })
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
