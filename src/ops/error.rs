//! Why a use case failed. The CLI maps each variant to an exit code and a
//! hint in one place, on the command line's side.

use crate::apply::session::SessionError;
use crate::apply::way_back::RevisionError;
use crate::cluster::ClusterError;
use crate::export::ExportError;
use crate::graph::GraphError;
use crate::model::{Diagnostic, LoadError};
use crate::oci::OciError;
use crate::oci::PolicyError;
use crate::plan::fresh::StaleError;
use crate::plan::PlanError;
use crate::state::StateError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// A product file is missing or unreadable (never `LoadError::Invalid`:
    /// that becomes [`OpsError::Invalid`]).
    #[error(transparent)]
    Load(LoadError),
    /// The product's files have errors; `diagnostics` holds every problem
    /// found (warnings too), for the caller to show.
    #[error("validation failed with {} error{}", error_count(.diagnostics), plural(error_count(.diagnostics)))]
    Invalid { diagnostics: Vec<Diagnostic> },
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Oci(#[from] OciError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("the saved plan is stale and was not applied")]
    Stale(#[source] StaleError),
    #[error("cannot read {}", .path.display())]
    ReadPlan {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a plan saved by `floe plan --out`", .path.display())]
    NotAPlan {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// A saved plan of an artifact names a source or environment that is
    /// not one (the file was edited or damaged).
    #[error("{0}")]
    BadSavedPlan(String),
    #[error(
        "the saved plan does not match what {reference}@{digest} renders; nothing was applied"
    )]
    PlanEdited { reference: String, digest: String },
    #[error("cannot write the plan to {}", .path.display())]
    WritePlan {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {}", .path.display())]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {}", .path.display())]
    ReadBundle {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}", .path.display())]
    WriteFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("--image cannot be combined with an artifact that carries its deployment settings ({reference}): an artifact deploys exactly what was published")]
    ImageWithArtifact { reference: String },
    #[error("refusing {reference} ({digest}): {reason}")]
    SignatureRefused {
        reference: String,
        digest: String,
        reason: String,
        /// Where the policy came from, for the hint.
        policy: String,
    },
    #[error(
        "{reference} moved from {planned} (planned and verified) to {now}; nothing was applied"
    )]
    TagMoved {
        reference: String,
        planned: String,
        now: String,
    },
    /// A saved plan that is not the plan this floe would make now.
    #[error("the plan no longer matches: {0}; nothing was applied")]
    NoLongerMatches(String),
    #[error("the plan touches {address}, outside the product's namespace {namespace}; floe never plans that, so the file was edited; nothing was applied")]
    OutsideNamespace { address: String, namespace: String },
    #[error("the plan destroys objects that need an explicit flag: {}", .0.join("; "))]
    Blocked(Vec<String>),
    #[error("there is no earlier successful revision to go back to")]
    NoEarlierRevision,
    #[error(transparent)]
    Revision(#[from] RevisionError),
    /// An artifact's revision that does not hold what its artifact renders.
    #[error(
        "revision {number} is not applied: {reason}; the record was modified after floe wrote it"
    )]
    RevisionModified { number: u64, reason: String },
    #[error("cannot go back to revision {revision}: {reason}")]
    SecretValuesUnavailable { revision: u64, reason: String },
    #[error("the lock on {namespace} is live: {holder} holds it (since {since}) and renews it; an apply may be running")]
    LockLive {
        namespace: String,
        holder: String,
        since: String,
    },
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error("{} is not empty and holds no chart floe exported", .path.display())]
    OutNotEmpty { path: PathBuf },
}

impl From<LoadError> for OpsError {
    fn from(err: LoadError) -> Self {
        match err {
            LoadError::Invalid(diagnostics) => OpsError::Invalid { diagnostics },
            other => OpsError::Load(other),
        }
    }
}

fn error_count(diagnostics: &[Diagnostic]) -> usize {
    diagnostics.iter().filter(|d| d.is_error()).count()
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
