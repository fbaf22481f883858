//! Planning: the desired set against the live cluster, and saving the plan.

use super::artifact::Fetched;
use super::OpsError;
use crate::cluster::Cluster;
use crate::plan::compute::{self, PlanOptions};
use crate::plan::{format, Plan, PlanSource};
use crate::render::DesiredSet;
use std::path::Path;

/// What a plan records about the verified artifact it was made from.
pub fn source_of(fetched: &Fetched) -> PlanSource {
    PlanSource {
        reference: fetched.reference.to_string(),
        digest: fetched.pulled.digest.clone(),
        signature: fetched.verification.summary(),
    }
}

/// The plan of `desired` against the cluster, bound to the artifact it came
/// from (when it came from one).
pub async fn plan(
    cluster: &Cluster,
    desired: &DesiredSet,
    options: &PlanOptions,
    fetched: Option<&Fetched>,
) -> Result<Plan, OpsError> {
    let mut plan = compute::plan(cluster, desired, options).await?;
    plan.source = fetched.map(source_of);
    Ok(plan)
}

/// Writes `plan` as JSON for `floe apply FILE`.
pub fn save(plan: &Plan, path: &Path) -> Result<(), OpsError> {
    std::fs::write(path, format::to_json(plan)).map_err(|source| OpsError::WritePlan {
        path: path.to_path_buf(),
        source,
    })
}
