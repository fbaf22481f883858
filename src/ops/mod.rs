//! Use cases: what each command does, apart from how it is asked for and
//! shown. One use case per file; each takes plain values, returns a typed
//! result or an [`OpsError`], and never prints or reads a terminal — the
//! command line turns arguments into calls here and results into text.
//!
//! ```text
//! source ──▶ prepare (load → validate → render → graph) ──▶ plan ──▶ apply (session)
//!                                     saved plan check ──┘      undo target ──┤
//!                                                              destroy plan ──┘
//! ```

pub mod apply;
pub mod artifact;
pub mod destroy;
mod error;
pub mod export;
pub mod history;
pub mod pack;
pub mod plan;
pub mod platform_manifest;
pub mod prepare;
pub mod saved_plan;
pub mod source;
pub mod status;
pub mod undo;
pub mod unlock;
pub mod validate;
pub mod way_back;

pub use error::OpsError;

use crate::cluster::{self, Cluster};
use crate::model::Diagnostic;
use crate::oci::ArtifactRef;
use artifact::Fetched;
use std::path::PathBuf;

/// What a use case tells the user while it works, before its result (the
/// CLI writes it to stderr). The library itself never prints.
pub trait Notes {
    /// Warnings found while loading and validating the product.
    fn warnings(&self, warnings: &[Diagnostic]);
    /// An artifact fetched and its signature checked (under `warn`, also
    /// when the check failed).
    fn fetched(&self, fetched: &Fetched);
    /// A product read from an artifact whose signature was not checked
    /// (nothing is deployed from it).
    fn read_unverified(&self, reference: &ArtifactRef, digest: &str);
}

/// Which cluster to talk to: a kubeconfig (default: `$KUBECONFIG`, then
/// `~/.kube/config`) and a context in it (default: the current one).
#[derive(Debug, Clone, Default)]
pub struct ClusterTarget {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
}

/// Connects to the cluster `target` names.
pub async fn connect(target: &ClusterTarget) -> Result<Cluster, OpsError> {
    Ok(cluster::connect(target.kubeconfig.as_deref(), target.context.as_deref()).await?)
}
