//! Why a plan could not be made.

use crate::cluster::ClusterError;
use crate::graph::GraphError;

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("the API server rejected {address}: {message}")]
    Rejected { address: String, message: String },
    #[error("{address}: {kind} is not a kind floe manages")]
    UnknownKind { address: String, kind: String },
    #[error(transparent)]
    Graph(#[from] GraphError),
}
