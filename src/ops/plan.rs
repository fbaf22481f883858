//! Planning: a product (directory or artifact) against the live cluster,
//! and saving the plan.

use super::apply::Origin;
use super::artifact::{Access, Fetched};
use super::{connect, prepare, source, ClusterTarget, Notes, OpsError};
use crate::cluster::Cluster;
use crate::model::Environment;
use crate::plan::compute::{self, PlanOptions};
use crate::plan::{format, Plan};
use crate::render::DesiredSet;
use std::path::{Path, PathBuf};

/// What to plan, where, and how.
pub struct PlanRequest {
    /// A product directory, or an `oci://` reference.
    pub source: PathBuf,
    pub environment: Environment,
    /// Image for workloads that do not name their own (not for artifacts).
    pub image: Option<String>,
    pub access: Access,
    pub cluster: ClusterTarget,
    pub options: PlanOptions,
}

/// A plan, the cluster it was made against, and where its desired set came
/// from (for the revision record and the artifact tag check).
pub struct Planned {
    pub cluster: Cluster,
    pub plan: Plan,
    pub origin: Origin,
}

/// The product (an artifact fetched and verified first), loaded, validated,
/// rendered, checked for cycles and planned against the cluster.
pub async fn plan_product(request: &PlanRequest, notes: &dyn Notes) -> Result<Planned, OpsError> {
    let env = request.environment;
    let image = request.image.as_deref();
    let source = source::resolve(&request.source, env, image, &request.access, notes).await?;
    let prepared = prepare::prepare(&source.dir, env, image)?;
    notes.warnings(&prepared.warnings);
    let cluster = connect(&request.cluster).await?;
    let fetched = source.fetched.as_ref();
    let plan = plan(&cluster, &prepared.desired, &request.options, fetched).await?;
    let origin = match fetched {
        Some(fetched) => Origin::of_artifact(fetched, &request.access),
        None => Origin::local(format!(
            "dir {}",
            std::fs::canonicalize(&source.dir)
                .unwrap_or_else(|_| source.dir.clone())
                .display()
        )),
    };
    Ok(Planned {
        cluster,
        plan,
        origin,
    })
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
    plan.source = fetched.map(Fetched::plan_source);
    Ok(plan)
}

/// Writes `plan` as JSON for `floe apply FILE`.
pub fn save(plan: &Plan, path: &Path) -> Result<(), OpsError> {
    std::fs::write(path, format::to_json(plan)).map_err(|source| OpsError::WritePlan {
        path: path.to_path_buf(),
        source,
    })
}
