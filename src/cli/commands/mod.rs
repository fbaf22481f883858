//! One file per command: its arguments, then `run`: arguments → a use case
//! in `crate::ops` → a renderer in `cli::output` → an exit code.

pub mod apply;
pub mod artifact;
pub mod deploy;
pub mod export;
pub mod graph;
pub mod history;
pub mod plan;
pub mod render;
pub mod status;
pub mod undo;
pub mod unlock;
pub mod validate;

use super::args::{ClusterArgs, ReadOnlyArgs};
use super::failure::Failure;
use super::output::diagnostics;
use super::runtime::runtime;
use super::terminal::note;
use crate::cluster::Cluster;
use crate::model::{Diagnostic, Product};
use crate::ops;
use tokio::runtime::Runtime;

/// Warnings go to stderr before the result.
fn note_warnings(warnings: &[Diagnostic]) {
    note(&diagnostics::to_text(warnings));
}

/// A command's runtime and the cluster it talks to.
pub struct Connection {
    pub rt: Runtime,
    pub cluster: Cluster,
}

fn connect(rt: Runtime, cluster: &ClusterArgs) -> Result<Connection, Failure> {
    let cluster = rt.block_on(ops::connect(
        cluster.kubeconfig.as_deref(),
        cluster.context.as_deref(),
    ))?;
    Ok(Connection { rt, cluster })
}

/// The product of a read-only command (history, status, undo, unlock) and
/// the cluster: an artifact is pulled by digest without checking its
/// signature (nothing is deployed from it), which stderr says.
fn read_only_product(args: &ReadOnlyArgs) -> Result<(Product, Connection), Failure> {
    let rt = runtime()?;
    let product = &args.product;
    let loaded = rt.block_on(ops::source::load_read_only(
        &product.dir,
        product.env.into(),
        product.image.as_deref(),
        &args.registry.options(),
    ))?;
    if let Some((reference, digest)) = &loaded.pulled_from {
        note(&format!(
            "Reading the product from {reference} ({digest}); its signature is not checked here, nothing is deployed from it\n"
        ));
    }
    note_warnings(&loaded.warnings);
    Ok((loaded.product, connect(rt, &args.cluster)?))
}
