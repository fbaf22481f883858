//! `floe export helm`: the product's rendered environments as a Helm chart,
//! written to a directory.

use super::artifact::{self, Access, Fetched};
use super::prepare::prepare;
use super::source::artifact_reference;
use super::{platform_manifest, OpsError};
use crate::export::{self, Chart, EXPORTED_BY};
use crate::model::{Diagnostic, Environment};
use crate::oci::ArtifactRef;
use std::path::{Path, PathBuf};

/// What to export and where to.
pub struct ExportRequest<'a> {
    /// A product directory, or an `oci://` artifact.
    pub source: &'a Path,
    /// In this order; the first one's values are the chart's defaults.
    pub environments: &'a [Environment],
    pub image: Option<&'a str>,
    pub out: &'a Path,
}

/// A chart written to disk.
pub struct Exported {
    pub chart: Chart,
    pub out: PathBuf,
    /// The artifact, verified under the policy of each environment exported.
    pub fetched: Vec<Fetched>,
    /// Warnings of the product's validation, each once.
    pub warnings: Vec<Diagnostic>,
}

/// Renders every requested environment (each validated first), builds the
/// chart and writes it to `out`. `out` must be empty, missing, or a chart
/// floe exported before (whose files are replaced).
pub async fn helm(request: &ExportRequest<'_>, access: &Access) -> Result<Exported, OpsError> {
    check_out_dir(request.out)?;
    let (dir, mut fetched) = resolve(request, access).await?;
    let mut sets = Vec::new();
    let mut warnings: Vec<Diagnostic> = Vec::new();
    let mut description = None;
    for env in request.environments {
        // The platform manifest too: verified under each environment's policy.
        let manifest = platform_manifest::fetch_verified(&dir, *env, access).await?;
        let inputs = platform_manifest::inputs(request.image, &manifest);
        let prepared = prepare(&dir, *env, &inputs)?;
        fetched.extend(manifest.and_then(|m| m.fetched));
        for warning in prepared.warnings {
            if !warnings.contains(&warning) {
                warnings.push(warning);
            }
        }
        description = prepared.product.spec.metadata.description.clone();
        sets.push(prepared.desired);
    }
    let chart = export::helm_chart(&sets, description.as_deref())?;
    write(&chart, request.out)?;
    Ok(Exported {
        chart,
        out: request.out.to_path_buf(),
        fetched,
        warnings,
    })
}

/// The product directory; an artifact is pulled once by digest and
/// verified under the signature policy of every environment exported (a
/// chart with prod's values is as good as a prod deploy).
async fn resolve(
    request: &ExportRequest<'_>,
    access: &Access,
) -> Result<(PathBuf, Vec<Fetched>), OpsError> {
    let Some(text) = artifact_reference(request.source) else {
        return Ok((request.source.to_path_buf(), Vec::new()));
    };
    let reference = ArtifactRef::parse(text)?;
    let mut fetched: Vec<Fetched> = Vec::new();
    for env in request.environments {
        let pinned = fetched.first().map(|f| f.pulled.digest.clone());
        fetched.push(artifact::fetch(&reference, pinned.as_deref(), *env, access).await?);
    }
    if request.image.is_some() && fetched.iter().any(|f| f.pulled.manifest.has_settings()) {
        return Err(OpsError::ImageWithArtifact {
            reference: text.to_string(),
        });
    }
    let dir = fetched
        .first()
        .map(|f| f.pulled.dir.clone())
        .unwrap_or_else(|| request.source.to_path_buf());
    Ok((dir, fetched))
}

/// Refuses a directory holding anything but an earlier floe export, so that
/// an export never overwrites someone's chart or files.
fn check_out_dir(out: &Path) -> Result<(), OpsError> {
    let Ok(mut entries) = std::fs::read_dir(out) else {
        return Ok(());
    };
    if entries.next().is_none() {
        return Ok(());
    }
    let chart = std::fs::read_to_string(out.join("Chart.yaml")).unwrap_or_default();
    if chart.contains(&format!("{EXPORTED_BY}:")) {
        return Ok(());
    }
    Err(OpsError::OutNotEmpty {
        path: out.to_path_buf(),
    })
}

/// Replaces the files of an earlier export (its templates go too: objects
/// the product no longer renders must not stay in the chart).
fn write(chart: &Chart, out: &Path) -> Result<(), OpsError> {
    let failed = |path: &Path, source: std::io::Error| OpsError::WriteFile {
        path: path.to_path_buf(),
        source,
    };
    let templates = out.join("templates");
    if templates.is_dir() {
        std::fs::remove_dir_all(&templates).map_err(|e| failed(&templates, e))?;
    }
    for entry in std::fs::read_dir(out).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with("values-") && name.ends_with(".yaml") {
            std::fs::remove_file(entry.path()).map_err(|e| failed(&entry.path(), e))?;
        }
    }
    for (name, text) in &chart.files {
        let path = out.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| failed(parent, e))?;
        }
        std::fs::write(&path, text).map_err(|e| failed(&path, e))?;
    }
    Ok(())
}
