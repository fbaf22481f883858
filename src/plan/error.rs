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
    #[error("namespace {namespace} belongs to {owner}, not to {product}; two products in one namespace overwrite each other's quota, limits and network policies")]
    NamespaceTaken {
        namespace: String,
        /// `product (environment)` as the namespace's labels say.
        owner: String,
        product: String,
    },
}
