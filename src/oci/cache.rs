//! The local cache of pulled artifacts, addressed by manifest digest.
//!
//! The cache only saves downloads: what was verified is the digest, so a
//! cached directory is used only when every file in it still has the bytes
//! the manifest's digests name, and nothing else is there. A directory is
//! filled beside its final place and renamed into it once complete.

use super::error::OciError;
use super::layout::{layer_file_name, sha256_digest, ArtifactManifest, Titled};
use super::reference::ArtifactRef;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Written last into a complete cache directory.
const COMPLETE_MARKER: &str = ".floe-complete";

/// An artifact fetched by digest and unpacked into the cache.
#[derive(Debug, Clone)]
pub struct PulledArtifact {
    /// The reference as given (tag or digest).
    pub source: ArtifactRef,
    /// `sha256:...` of the manifest: what is deployed and recorded.
    pub digest: String,
    pub manifest: ArtifactManifest,
    /// The product directory: floe.yaml, manifest, floe-deploy.yaml, ...
    pub dir: PathBuf,
    /// True when the layers came from the cache, not the network.
    pub cached: bool,
}

impl PulledArtifact {
    /// `oci://registry/repo@sha256:...`
    pub fn pinned(&self) -> ArtifactRef {
        self.source.with_digest(&self.digest)
    }

    /// The files of the artifact, relative to `dir`.
    pub fn file_names(&self) -> Vec<String> {
        self.manifest
            .layers
            .iter()
            .filter_map(|l| l.title().map(str::to_string))
            .collect()
    }
}

/// Where pulled artifacts live: `cache_dir` (`--cache-dir`), `$FLOE_CACHE_DIR`,
/// `$XDG_CACHE_HOME/floe`, `~/.cache/floe`; then `artifacts/sha256/<hex>`.
pub(crate) fn cache_root(cache_dir: Option<&Path>) -> PathBuf {
    let base = cache_dir
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("FLOE_CACHE_DIR").map(PathBuf::from))
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("floe")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/floe")))
        .unwrap_or_else(|| std::env::temp_dir().join("floe-cache"));
    base.join("artifacts")
}

/// The cache directory of one manifest digest.
pub(crate) struct CacheEntry {
    pub dir: PathBuf,
}

impl CacheEntry {
    pub(crate) fn for_digest(cache_dir: Option<&Path>, digest: &str) -> CacheEntry {
        CacheEntry {
            dir: cache_root(cache_dir).join(digest.replace(':', "/")),
        }
    }

    /// Complete, and still exactly the layers of `manifest`.
    pub(crate) fn is_intact(&self, reference: &ArtifactRef, manifest: &ArtifactManifest) -> bool {
        self.dir.join(COMPLETE_MARKER).exists()
            && cached_layers_match(reference, &self.dir, manifest)
    }

    /// An empty directory beside this entry to unpack `digest` into.
    pub(crate) fn stage(&self, digest: &str) -> Result<Staging, OciError> {
        let parent = self.dir.parent().unwrap_or(&self.dir).to_path_buf();
        std::fs::create_dir_all(&parent).map_err(|e| OciError::io(&parent, e))?;
        let path = parent.join(format!(
            ".{}-{}",
            digest.rsplit(':').next().unwrap_or("x"),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).map_err(|e| OciError::io(&path, e))?;
        Ok(Staging { path })
    }
}

/// A cache directory being filled.
pub(crate) struct Staging {
    path: PathBuf,
}

impl Staging {
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes` as the file `name` (a checked layer file name).
    pub(crate) fn write(&self, name: &str, bytes: Vec<u8>) -> Result<(), OciError> {
        let path = self.path.join(name);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(|e| OciError::io(p, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| OciError::io(&path, e))
    }

    pub(crate) fn discard(self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }

    /// Marks the files complete and moves them into `entry`.
    pub(crate) fn commit(
        self,
        digest: &str,
        entry: &CacheEntry,
        reference: &ArtifactRef,
        manifest: &ArtifactManifest,
    ) -> Result<(), OciError> {
        std::fs::write(self.path.join(COMPLETE_MARKER), digest)
            .map_err(|e| OciError::io(&self.path, e))?;
        if entry.dir.exists() {
            // Left incomplete or changed: replace it. (A complete, matching
            // one is used without unpacking.)
            let _ = std::fs::remove_dir_all(&entry.dir);
        }
        if let Err(e) = std::fs::rename(&self.path, &entry.dir) {
            self.discard();
            // Another floe unpacked the same digest at the same moment.
            if !entry.is_intact(reference, manifest) {
                return Err(OciError::io(&entry.dir, e));
            }
        }
        Ok(())
    }
}

/// Every layer of `manifest` is in `dir` with the bytes its digest names,
/// and nothing else is there but the completion marker.
fn cached_layers_match(reference: &ArtifactRef, dir: &Path, manifest: &ArtifactManifest) -> bool {
    let mut expected = BTreeSet::new();
    for layer in &manifest.layers {
        let Ok(name) = layer_file_name(reference, layer) else {
            return false;
        };
        match std::fs::read(dir.join(&name)) {
            Ok(bytes) if sha256_digest(&bytes) == layer.digest => {}
            _ => return false,
        }
        expected.insert(name);
    }
    files_below(dir).is_some_and(|found| found == expected)
}

/// The files below `dir` (relative, `/`-separated) but the completion
/// marker; `None` when a directory cannot be read.
fn files_below(dir: &Path) -> Option<BTreeSet<String>> {
    let mut found = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).ok()?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                let rel = rel.to_string_lossy().replace('\\', "/");
                if rel != COMPLETE_MARKER {
                    found.insert(rel);
                }
            }
        }
    }
    Some(found)
}
