//! Use cases: what each command does, apart from how it is asked for and
//! shown. One use case per file; each takes plain values, returns a typed
//! result or an [`OpsError`], and never prints or reads a terminal — the
//! CLI (`crate::cli`) turns arguments into calls here and results into text.
//!
//! ```text
//! source ──▶ prepare (load → validate → render → graph) ──▶ plan ──▶ apply (session)
//!                                     saved plan check ──┘      undo target ──┘
//! ```

pub mod apply;
pub mod artifact;
mod error;
pub mod export;
pub mod history;
pub mod plan;
pub mod prepare;
pub mod saved_plan;
pub mod source;
pub mod status;
pub mod undo;
pub mod unlock;
pub mod validate;

pub use error::OpsError;

use crate::cluster::{self, Cluster};
use std::path::Path;

/// Connects to the cluster the kubeconfig (and context) names.
pub async fn connect(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
) -> Result<Cluster, OpsError> {
    Ok(cluster::connect(kubeconfig, context).await?)
}
