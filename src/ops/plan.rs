//! Planning: a product (directory or artifact) against the live cluster,
//! and saving the plan.

use super::apply::Origin;
use super::artifact::{Access, Fetched};
use super::prepare::absolute;
use super::{connect, platform_manifest, prepare, source, ClusterTarget, Notes, OpsError};
use crate::cluster::Cluster;
use crate::model::Environment;
use crate::model::Product;
use crate::plan::compute::{self, PlanOptions};
use crate::plan::{floe_version, format, Binding, Plan};
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
    let manifest = platform_manifest::fetch_verified(&source.dir, env, &request.access).await?;
    if let Some(m) = &manifest {
        m.note(notes);
    }
    let inputs = platform_manifest::inputs(image, &manifest);
    let prepared = prepare::prepare(&source.dir, env, &inputs)?;
    notes.warnings(&prepared.warnings);
    let cluster = connect(&request.cluster).await?;
    let fetched = source.fetched.as_ref();
    let mut plan = plan(&cluster, &prepared.desired, &request.options, fetched).await?;
    plan.binding = Some(binding_of(&prepared.product, &request.options, fetched));
    let origin = match fetched {
        Some(fetched) => Origin::of_artifact(fetched, &request.access),
        None => Origin::of_directory(&prepared.product),
    }
    .with_manifest(manifest.as_ref());
    Ok(Planned {
        cluster,
        plan,
        origin,
    })
}

/// What a plan of `product` is bound to: this floe, the product's files
/// (or the artifact's digest), where they are and the shaping options.
fn binding_of(product: &Product, options: &PlanOptions, fetched: Option<&Fetched>) -> Binding {
    Binding {
        floe_version: floe_version().to_string(),
        input_digest: match fetched {
            Some(fetched) => fetched.pulled.digest.clone(),
            None => product.input_digest.clone(),
        },
        directory: fetched
            .is_none()
            .then(|| absolute(&product.dir).display().to_string()),
        image: product.image_override.clone(),
        options: options.bound(),
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
