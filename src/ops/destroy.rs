//! Destroying a product in one environment: the plan that deletes every
//! object floe owns for it (the namespace last, when nothing else lives
//! there), for the same review and apply path as any plan; and, once the
//! namespace's deletion was accepted, waiting until it is gone.

use super::OpsError;
use crate::cluster::Cluster;
use crate::kinds;
use crate::model::effective::namespace_name;
use crate::model::Product;
use crate::plan::compute::PlanOptions;
use crate::plan::{destroy, Plan};
use crate::render::DesiredSet;
use std::time::{Duration, Instant};

/// The destroy plan of `product` in its environment.
pub async fn plan_destroy(
    cluster: &Cluster,
    product: &Product,
    options: &PlanOptions,
) -> Result<Plan, OpsError> {
    let target = DesiredSet {
        product: product.spec.metadata.name.clone(),
        version: product.spec.metadata.version.clone(),
        environment: product.env,
        namespace: namespace_name(product),
        objects: Vec::new(),
        extra_dependencies: Vec::new(),
    };
    Ok(destroy::plan_destroy(cluster, &target, options).await?)
}

/// Waits up to `timeout` until `namespace` is gone; whether it is.
pub async fn namespace_gone(
    cluster: &Cluster,
    namespace: &str,
    timeout: Duration,
) -> Result<bool, OpsError> {
    let api = cluster.api(kinds::namespace(), "");
    let started = Instant::now();
    loop {
        let found = api
            .get_opt(namespace)
            .await
            .map_err(|e| cluster.classify(e, &format!("reading namespace {namespace}")))?;
        if found.is_none() {
            return Ok(true);
        }
        if started.elapsed() >= timeout {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
