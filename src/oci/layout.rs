//! The artifact layout: what a floe artifact's manifest holds (media types,
//! annotations, one titled layer per file) and the rules a pulled manifest
//! must keep before any of its files is written (known media types, each
//! once, titles that cannot escape the cache, size caps, the platform
//! manifest floe.yaml names being the one carried). Three kinds: a product
//! (floe.yaml and its files), a product the platform compiled
//! (compiled_artifacts.json), a platform manifest on its own.
//! Docs: docs/oci-artifacts.md.

use super::error::OciError;
use super::reference::ArtifactRef;
use oci_client::manifest::OciDescriptor;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path};

/// `artifactType` of a product's manifest, as the floe platform pushes it.
pub const ARTIFACT_TYPE: &str = "application/vnd.floe.compiled-artifacts.v1+json";
/// `artifactType` of a platform manifest published on its own, for
/// floe.yaml's `platform.manifest: oci://...`.
pub const MANIFEST_ARTIFACT_TYPE: &str = "application/vnd.floe.manifest.v1+yaml";
pub const EMPTY_CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
pub(crate) const EMPTY_CONFIG: &[u8] = b"{}";
/// Layer media types, one file each (titled with its file name).
pub const COMPILED_MEDIA_TYPE: &str = "application/vnd.floe.compiled-artifacts.v1+json";
pub const SPEC_MEDIA_TYPE: &str = "application/vnd.floe.spec.v1+yaml";
pub const PLATFORM_MANIFEST_MEDIA_TYPE: &str = "application/vnd.floe.manifest.v1+yaml";
pub const SETTINGS_MEDIA_TYPE: &str = "application/vnd.floe.deploy-settings.v1+yaml";
pub const TITLE: &str = "org.opencontainers.image.title";
pub const PRODUCT_NAME: &str = "io.floe.product.name";
pub const PRODUCT_VERSION: &str = "io.floe.product.version";
pub const ARTIFACTS_VERSION: &str = "io.floe.artifacts.version";
/// The name and version of a platform manifest artifact (its `metadata`).
pub const MANIFEST_NAME: &str = "io.floe.manifest.name";
pub const MANIFEST_VERSION: &str = "io.floe.manifest.version";
/// A base64 Sigstore bundle signing the artifact's layers.
pub const SIGNATURE_BUNDLE: &str = "dev.floe.signature.bundle";
pub const COMPILED_FILE: &str = crate::model::compiled::COMPILED_FILE;
pub(crate) const SPEC_FILE: &str = "floe.yaml";
pub const SETTINGS_FILE: &str = "floe-deploy.yaml";
/// What `floe artifact push` writes into `io.floe.artifacts.version` when the
/// product has no compiled artifact of its own.
pub const FLOE_ARTIFACTS_VERSION: &str = crate::model::compiled::KNOWN_VERSION;
/// The largest layer floe accepts: product files are small, and a
/// registry's size claim must not make floe allocate or store gigabytes.
pub const MAX_LAYER_BYTES: i64 = 16 << 20;

/// The parts of an OCI image manifest floe reads and writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactManifest {
    pub schema_version: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    pub config: OciDescriptor,
    pub layers: Vec<OciDescriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// What an artifact holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactKind {
    /// A product: floe.yaml, its platform manifest, floe-deploy.yaml.
    Product,
    /// A product as the platform's compile step wrote it:
    /// compiled_artifacts.json (and floe-deploy.yaml when published with one).
    Compiled,
    /// A platform manifest on its own.
    PlatformManifest,
}

impl ArtifactKind {
    pub fn describe(self) -> &'static str {
        match self {
            ArtifactKind::Product => "a product (floe.yaml and its files)",
            ArtifactKind::Compiled => "a product compiled by the floe platform",
            ArtifactKind::PlatformManifest => "a platform manifest",
        }
    }
}

impl ArtifactManifest {
    /// What the artifact holds (its layout is checked when it is parsed).
    pub fn kind(&self) -> ArtifactKind {
        let has = |media_type: &str| self.layers.iter().any(|l| l.media_type == media_type);
        if self.artifact_type.as_deref() == Some(MANIFEST_ARTIFACT_TYPE) {
            ArtifactKind::PlatformManifest
        } else if has(SPEC_MEDIA_TYPE) {
            ArtifactKind::Product
        } else {
            ArtifactKind::Compiled
        }
    }

    /// Whether it carries deployment settings (floe-deploy.yaml).
    pub fn has_settings(&self) -> bool {
        self.layers
            .iter()
            .any(|l| l.media_type == SETTINGS_MEDIA_TYPE)
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations
            .as_ref()
            .and_then(|a| a.get(key))
            .map(String::as_str)
    }

    /// The layer descriptors as [`signed_payload`](super::signed_payload) takes them.
    pub fn layer_triples(&self) -> Vec<(String, String, u64)> {
        self.layers
            .iter()
            .map(|l| (l.media_type.clone(), l.digest.clone(), l.size.max(0) as u64))
            .collect()
    }
}

pub(crate) trait Titled {
    fn title(&self) -> Option<&str>;
}

impl Titled for OciDescriptor {
    fn title(&self) -> Option<&str> {
        self.annotations
            .as_ref()
            .and_then(|a| a.get(TITLE))
            .map(String::as_str)
    }
}

pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// `path` as `a/b/c` when it stays inside the directory it is relative to
/// (only plain names and `.`), else `None`.
pub(crate) fn plain_relative_path(path: &str) -> Option<String> {
    let path = Path::new(path);
    let plain = path
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    plain.then(|| {
        path.components()
            .filter_map(|c| match c {
                Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("/")
    })
}

/// The checked manifest: an OCI image manifest of floe's artifact type with
/// the layout [`check_layout`] asks for.
pub(crate) fn parse_manifest(
    reference: &ArtifactRef,
    bytes: &[u8],
) -> Result<ArtifactManifest, OciError> {
    let manifest: ArtifactManifest =
        serde_json::from_slice(bytes).map_err(|e| OciError::NotAnArtifact {
            reference: reference.to_string(),
            message: format!("its manifest is not an OCI image manifest: {e}"),
        })?;
    let artifact_type = manifest.artifact_type.as_deref();
    if artifact_type != Some(ARTIFACT_TYPE) && artifact_type != Some(MANIFEST_ARTIFACT_TYPE) {
        return Err(OciError::NotAnArtifact {
            reference: reference.to_string(),
            message: format!(
                "artifactType is {:?}, expected {ARTIFACT_TYPE} (a product) or {MANIFEST_ARTIFACT_TYPE} (a platform manifest)",
                artifact_type.unwrap_or("(none)")
            ),
        });
    }
    check_layout(reference, &manifest)?;
    Ok(manifest)
}

/// The layers an artifact may hold: known media types, each once, with the
/// file names floe gives them. A Sigstore bundle signs media types, digests
/// and sizes, not titles, so the name of every file but the platform
/// manifest follows from its media type; the platform manifest's name is
/// checked against the signed floe.yaml once it is unpacked.
fn check_layout(reference: &ArtifactRef, manifest: &ArtifactManifest) -> Result<(), OciError> {
    let bad = |message: String| OciError::NotAnArtifact {
        reference: reference.to_string(),
        message,
    };
    let mut seen = BTreeSet::new();
    for layer in &manifest.layers {
        let name_rule = layer_name_rule(&layer.media_type).ok_or_else(|| {
            bad(format!(
                "layer {} has media type {:?}, which floe does not know",
                layer.digest, layer.media_type
            ))
        })?;
        if !seen.insert(layer.media_type.as_str()) {
            return Err(bad(format!(
                "it has two layers of media type {}",
                layer.media_type
            )));
        }
        if !(0..=MAX_LAYER_BYTES).contains(&layer.size) {
            return Err(bad(format!(
                "layer {} claims {} bytes (at most {MAX_LAYER_BYTES})",
                layer.digest, layer.size
            )));
        }
        let name = layer_file_name(reference, layer)?;
        match name_rule {
            LayerName::Fixed(expected) if name != expected => {
                return Err(bad(format!(
                    "the {} layer is titled {name:?}, not {expected:?}",
                    layer.media_type
                )))
            }
            LayerName::NamedBySpec
                if [COMPILED_FILE, SPEC_FILE, SETTINGS_FILE].contains(&name.as_str()) =>
            {
                return Err(bad(format!(
                    "the platform manifest layer is titled {name:?}"
                )))
            }
            _ => {}
        }
    }
    let what = match manifest.kind() {
        ArtifactKind::PlatformManifest => {
            (seen.len() != 1 || !seen.contains(PLATFORM_MANIFEST_MEDIA_TYPE)).then_some(
                "a platform manifest artifact holds one platform manifest layer and nothing else",
            )
        }
        ArtifactKind::Product => None,
        ArtifactKind::Compiled if !seen.contains(COMPILED_MEDIA_TYPE) => {
            Some("it has neither a floe.yaml nor a compiled_artifacts.json layer")
        }
        ArtifactKind::Compiled => seen
            .contains(PLATFORM_MANIFEST_MEDIA_TYPE)
            .then_some("it carries a platform manifest but no floe.yaml to name it"),
    };
    match what {
        Some(message) => Err(bad(message.into())),
        None => Ok(()),
    }
}

/// What a known layer media type says about the layer's file name.
enum LayerName {
    /// It must have this name.
    Fixed(&'static str),
    /// The platform manifest: floe.yaml names it.
    NamedBySpec,
}

/// `None` for a media type floe does not know.
fn layer_name_rule(media_type: &str) -> Option<LayerName> {
    match media_type {
        COMPILED_MEDIA_TYPE => Some(LayerName::Fixed(COMPILED_FILE)),
        SPEC_MEDIA_TYPE => Some(LayerName::Fixed(SPEC_FILE)),
        SETTINGS_MEDIA_TYPE => Some(LayerName::Fixed(SETTINGS_FILE)),
        PLATFORM_MANIFEST_MEDIA_TYPE => Some(LayerName::NamedBySpec),
        _ => None,
    }
}

/// The platform manifest floe will read is the one the artifact carries:
/// floe.yaml's `platform.manifest` (default `manifest.yaml`) must name the
/// platform manifest layer, never a file outside the cache. (A platform
/// manifest artifact has no floe.yaml to name it.)
pub(crate) fn check_platform_manifest_path(
    reference: &ArtifactRef,
    dir: &Path,
    manifest: &ArtifactManifest,
) -> Result<(), OciError> {
    if manifest.kind() == ArtifactKind::PlatformManifest {
        return Ok(());
    }
    let spec = std::fs::read_to_string(dir.join(SPEC_FILE)).unwrap_or_default();
    let spec: serde_json::Value = serde_norway::from_str(&spec).unwrap_or_default();
    let carried = manifest
        .layers
        .iter()
        .find(|l| l.media_type == PLATFORM_MANIFEST_MEDIA_TYPE)
        .and_then(|l| l.title());
    let named = match spec.pointer("/platform/manifest").and_then(|v| v.as_str()) {
        Some(named) => named,
        // Nothing named and nothing carried: the product has no manifest.
        None if carried.is_none() => return Ok(()),
        None => crate::model::DEFAULT_MANIFEST_FILE,
    };
    if named.starts_with("oci://") {
        // The loader refuses it with its own message.
        return Ok(());
    }
    match plain_relative_path(named) {
        Some(name) if carried == Some(name.as_str()) => Ok(()),
        _ => Err(OciError::NotAnArtifact {
            reference: reference.to_string(),
            message: format!(
                "floe.yaml's platform.manifest {named:?} is not the platform manifest the artifact carries ({})",
                carried.map_or("none".to_string(), |c| format!("{c:?}"))
            ),
        }),
    }
}

/// A layer's file name: its title, which must be a plain relative path
/// (a registry is not trusted to write outside the cache directory).
pub(crate) fn layer_file_name(
    reference: &ArtifactRef,
    layer: &OciDescriptor,
) -> Result<String, OciError> {
    let title = layer.title().ok_or_else(|| OciError::NotAnArtifact {
        reference: reference.to_string(),
        message: format!("layer {} has no {TITLE} annotation", layer.digest),
    })?;
    let plain = !title.is_empty()
        && Path::new(title)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
        && !title.starts_with(".floe");
    if !plain {
        return Err(OciError::NotAnArtifact {
            reference: reference.to_string(),
            message: format!("layer title {title:?} is not a plain relative file name"),
        });
    }
    Ok(title.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_titles_cannot_escape_the_cache() {
        let r = ArtifactRef::parse("oci://r.example/x:1").unwrap();
        for (title, ok) in [
            ("floe.yaml", true),
            ("config/manifest.yaml", true),
            ("../evil", false),
            ("/etc/passwd", false),
            ("", false),
            (".floe-complete", false),
        ] {
            let layer = OciDescriptor {
                annotations: Some([(TITLE.to_string(), title.to_string())].into()),
                ..OciDescriptor::default()
            };
            assert_eq!(layer_file_name(&r, &layer).is_ok(), ok, "{title}");
        }
    }
}
