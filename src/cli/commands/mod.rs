//! One file per command: its arguments, then `run`: arguments → a use case
//! in `crate::ops` → a renderer in `cli::output` → an exit code.

pub mod apply;
pub mod artifact;
pub mod deploy;
pub mod destroy;
pub mod export;
pub mod graph;
pub mod history;
pub mod plan;
pub mod render;
pub mod status;
pub mod undo;
pub mod unlock;
pub mod validate;

use super::args::{ReadOnlyArgs, RegistryArgs};
use super::failure::Failure;
use super::notes::StderrNotes;
use super::runtime::runtime;
use crate::cluster::Cluster;
use crate::model::Product;
use crate::ops::platform_manifest::{self, FetchedManifest};
use crate::ops::{self, Notes};
use std::path::Path;
use tokio::runtime::Runtime;

/// A command's runtime and the cluster it talks to.
pub struct Connection {
    pub rt: Runtime,
    pub cluster: Cluster,
}

/// Warnings go to stderr before the result.
fn note_warnings(warnings: &[crate::model::Diagnostic]) {
    StderrNotes.warnings(warnings);
}

/// The platform manifest floe.yaml in `dir` names by `oci://` reference,
/// pulled for a command that only reads the product (validate, render,
/// graph): its signature is not checked, nothing is deployed from it.
fn manifest_for_reading(
    dir: &Path,
    registry: &RegistryArgs,
) -> Result<Option<FetchedManifest>, Failure> {
    if platform_manifest::named_reference(dir).is_none() {
        return Ok(None);
    }
    let fetched = runtime()?.block_on(platform_manifest::fetch_unverified(
        dir,
        &registry.options(),
    ))?;
    if let Some(m) = &fetched {
        m.note(&StderrNotes);
    }
    Ok(fetched)
}

/// The product of a read-only command (history, status, undo, unlock,
/// destroy: nothing is deployed from it) and the connection to its cluster.
fn read_only_product(args: &ReadOnlyArgs) -> Result<(Product, Connection), Failure> {
    let rt = runtime()?;
    let (product, cluster) =
        rt.block_on(ops::source::open_read_only(&args.request(), &StderrNotes))?;
    Ok((product, Connection { rt, cluster }))
}
