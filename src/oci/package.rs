//! Packing an artifact, ready to push: a product directory (the files
//! `floe deploy` needs, one layer each), the platform's compiled output,
//! or a platform manifest on its own; and the manifest naming the layers.

use super::error::OciError;
use super::layout::{
    plain_relative_path, sha256_digest, ArtifactManifest, ARTIFACTS_VERSION, ARTIFACT_TYPE,
    COMPILED_FILE, COMPILED_MEDIA_TYPE, EMPTY_CONFIG, EMPTY_CONFIG_MEDIA_TYPE,
    FLOE_ARTIFACTS_VERSION, MANIFEST_ARTIFACT_TYPE, MANIFEST_NAME, MANIFEST_VERSION,
    PLATFORM_MANIFEST_MEDIA_TYPE, PRODUCT_NAME, PRODUCT_VERSION, SETTINGS_FILE,
    SETTINGS_MEDIA_TYPE, SIGNATURE_BUNDLE, SPEC_FILE, SPEC_MEDIA_TYPE, TITLE,
};
use oci_client::manifest::{OciDescriptor, OCI_IMAGE_MEDIA_TYPE};
use std::collections::BTreeMap;
use std::path::Path;

/// A product directory packed as an artifact, ready to push.
#[derive(Debug, Clone)]
pub struct PreparedArtifact {
    pub manifest: ArtifactManifest,
    /// The layers' bytes, in the order of `manifest.layers`.
    pub blobs: Vec<Vec<u8>>,
}

/// One file of the artifact: (media type, title, bytes).
type LayerFile = (&'static str, String, Vec<u8>);

/// Packs what `floe deploy` needs from a product directory: floe.yaml, the
/// platform manifest it names (`manifest_file`; `None` for one it names by
/// `oci://` reference, which the deploy fetches), floe-deploy.yaml (when
/// present) and the compiled artifact (`compiled_artifacts.json`,
/// generated from floe.yaml when the product has none). `bundle` is a base64 Sigstore bundle to
/// carry in the `dev.floe.signature.bundle` annotation.
pub fn prepare(
    dir: &Path,
    product_name: &str,
    product_version: &str,
    manifest_file: Option<&str>,
    bundle: Option<&str>,
) -> Result<PreparedArtifact, OciError> {
    let manifest_name = manifest_file
        .map(|file| {
            plain_relative_path(file).ok_or_else(|| OciError::Product {
                message: format!(
                    "floe.yaml's platform.manifest {file:?} is outside the product directory; an artifact carries the product directory only"
                ),
            })
        })
        .transpose()?;
    let compiled = compiled_artifact(dir, product_name, product_version)?;
    let annotations = product_annotations((product_name, product_version), &compiled, bundle);
    let files = layer_files(dir, compiled, manifest_name)?;
    Ok(packed(ARTIFACT_TYPE, files, annotations))
}

/// Packs the platform's compiled output (`compiled`, the bytes of a
/// compiled_artifacts.json) as the platform's registry artifacts hold it,
/// with `settings` (a floe-deploy.yaml) as a second layer when given.
pub fn prepare_compiled(
    compiled: Vec<u8>,
    settings: Option<Vec<u8>>,
    (product_name, product_version): (&str, &str),
    bundle: Option<&str>,
) -> PreparedArtifact {
    let annotations = product_annotations((product_name, product_version), &compiled, bundle);
    let mut files: Vec<LayerFile> =
        vec![(COMPILED_MEDIA_TYPE, COMPILED_FILE.to_string(), compiled)];
    if let Some(bytes) = settings {
        files.push((SETTINGS_MEDIA_TYPE, SETTINGS_FILE.to_string(), bytes));
    }
    packed(ARTIFACT_TYPE, files, annotations)
}

/// Packs a platform manifest on its own, for products whose floe.yaml
/// names it as `platform.manifest: oci://...`.
pub fn prepare_platform_manifest(
    manifest: Vec<u8>,
    (name, version): (&str, &str),
    bundle: Option<&str>,
) -> PreparedArtifact {
    let files = vec![(
        PLATFORM_MANIFEST_MEDIA_TYPE,
        crate::model::DEFAULT_MANIFEST_FILE.to_string(),
        manifest,
    )];
    let annotations = annotations([(MANIFEST_NAME, name), (MANIFEST_VERSION, version)], bundle);
    packed(MANIFEST_ARTIFACT_TYPE, files, annotations)
}

/// A product artifact's annotations: its name and version, and the
/// version of its compiled output.
fn product_annotations(
    (name, version): (&str, &str),
    compiled: &[u8],
    bundle: Option<&str>,
) -> BTreeMap<String, String> {
    let mut annotations = annotations([(PRODUCT_NAME, name), (PRODUCT_VERSION, version)], bundle);
    annotations.insert(ARTIFACTS_VERSION.to_string(), artifacts_version(compiled));
    annotations
}

/// What an artifact says it is (its name and version annotations), and
/// the Sigstore bundle it carries.
fn annotations(named: [(&str, &str); 2], bundle: Option<&str>) -> BTreeMap<String, String> {
    let mut annotations: BTreeMap<String, String> = named
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if let Some(b) = bundle {
        annotations.insert(SIGNATURE_BUNDLE.to_string(), b.to_string());
    }
    annotations
}

/// The product's `compiled_artifacts.json`, or a minimal one naming it.
fn compiled_artifact(
    dir: &Path,
    product_name: &str,
    product_version: &str,
) -> Result<Vec<u8>, OciError> {
    let generated = || {
        serde_json::to_vec_pretty(&serde_json::json!({
            "version": FLOE_ARTIFACTS_VERSION,
            "metadata": {"product_name": product_name, "product_version": product_version},
        }))
        .expect("a JSON value serialises")
    };
    Ok(read_optional(dir, COMPILED_FILE)?.unwrap_or_else(generated))
}

/// The compiled artifact's `version`, for the `io.floe.artifacts.version` annotation.
fn artifacts_version(compiled: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(compiled)
        .ok()
        .and_then(|v| {
            v.get("version")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| FLOE_ARTIFACTS_VERSION.to_string())
}

/// The files to carry, in layer order.
fn layer_files(
    dir: &Path,
    compiled: Vec<u8>,
    manifest_name: Option<String>,
) -> Result<Vec<LayerFile>, OciError> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|e| OciError::io(&path, e))
    };
    let mut files: Vec<LayerFile> = vec![
        (COMPILED_MEDIA_TYPE, COMPILED_FILE.to_string(), compiled),
        (SPEC_MEDIA_TYPE, SPEC_FILE.to_string(), read(SPEC_FILE)?),
    ];
    if let Some(name) = manifest_name {
        let platform_manifest = read(&name)?;
        files.push((PLATFORM_MANIFEST_MEDIA_TYPE, name, platform_manifest));
    }
    if let Some(bytes) = read_optional(dir, SETTINGS_FILE)? {
        files.push((SETTINGS_MEDIA_TYPE, SETTINGS_FILE.to_string(), bytes));
    }
    Ok(files)
}

/// `dir/name`, or `None` when there is no such file.
fn read_optional(dir: &Path, name: &str) -> Result<Option<Vec<u8>>, OciError> {
    match std::fs::read(dir.join(name)) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(OciError::io(&dir.join(name), e)),
    }
}

/// The manifest of `files` (one titled layer each) and their bytes.
fn packed(
    artifact_type: &str,
    files: Vec<LayerFile>,
    annotations: BTreeMap<String, String>,
) -> PreparedArtifact {
    let mut layers = Vec::new();
    let mut blobs = Vec::new();
    for (media_type, title, bytes) in files {
        layers.push(OciDescriptor {
            media_type: media_type.to_string(),
            digest: sha256_digest(&bytes),
            size: bytes.len() as i64,
            annotations: Some([(TITLE.to_string(), title)].into_iter().collect()),
            ..OciDescriptor::default()
        });
        blobs.push(bytes);
    }
    let manifest = ArtifactManifest {
        schema_version: 2,
        media_type: Some(OCI_IMAGE_MEDIA_TYPE.to_string()),
        artifact_type: Some(artifact_type.to_string()),
        config: OciDescriptor {
            media_type: EMPTY_CONFIG_MEDIA_TYPE.to_string(),
            digest: sha256_digest(EMPTY_CONFIG),
            size: EMPTY_CONFIG.len() as i64,
            ..OciDescriptor::default()
        },
        layers,
        annotations: Some(annotations),
    };
    PreparedArtifact { manifest, blobs }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::layout::Titled;

    #[test]
    fn prepared_artifact_has_the_platform_layout() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/minimal");
        let a = prepare(&dir, "p", "1.0.0", Some("manifest.yaml"), None).unwrap();
        assert_eq!(a.manifest.artifact_type.as_deref(), Some(ARTIFACT_TYPE));
        assert_eq!(
            a.manifest.media_type.as_deref(),
            Some("application/vnd.oci.image.manifest.v1+json")
        );
        assert_eq!(a.manifest.config.media_type, EMPTY_CONFIG_MEDIA_TYPE);
        let titles: Vec<_> = a.manifest.layers.iter().filter_map(|l| l.title()).collect();
        assert_eq!(
            titles,
            [
                "compiled_artifacts.json",
                "floe.yaml",
                "manifest.yaml",
                "floe-deploy.yaml"
            ]
        );
        assert_eq!(a.manifest.annotation(PRODUCT_NAME), Some("p"));
        assert_eq!(a.manifest.annotation(ARTIFACTS_VERSION), Some("0.10.0"));
        let err = prepare(&dir, "p", "1", Some("../platform/manifest.yaml"), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("outside the product directory"), "{err}");
    }
}
