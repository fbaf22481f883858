//! Removing a stuck apply lock.

use super::OpsError;
use crate::cluster::Cluster;
use crate::model::effective::namespace_name;
use crate::model::Product;

/// Removes the lock of the product's namespace after checking that no
/// apply holds it; the namespace, and whether there was a lock.
pub async fn unlock(cluster: &Cluster, product: &Product) -> Result<(String, bool), OpsError> {
    let namespace = namespace_name(product);
    let removed = crate::state::force_unlock(cluster, &namespace).await?;
    Ok((namespace, removed))
}
