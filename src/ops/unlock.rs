//! Removing a stuck apply lock.

use super::OpsError;
use crate::cluster::Cluster;
use crate::model::effective::namespace_name;
use crate::model::Product;
use crate::state::{self, LockHolder, StateError, Unlocked};

/// Who holds the lock of the product's namespace (its name), if anyone.
pub async fn holder(
    cluster: &Cluster,
    product: &Product,
) -> Result<(String, Option<LockHolder>), OpsError> {
    let namespace = namespace_name(product);
    let holder = state::lock_holder(cluster, &namespace).await?;
    Ok((namespace, holder))
}

/// Removes the lock of the product's namespace. A live lock (an apply may
/// be running) is refused unless `force`.
pub async fn unlock(
    cluster: &Cluster,
    product: &Product,
    force: bool,
) -> Result<(String, Unlocked), OpsError> {
    let namespace = namespace_name(product);
    match state::unlock(cluster, &namespace, force).await {
        Ok(unlocked) => Ok((namespace, unlocked)),
        Err(StateError::Locked { holder, since, .. }) => Err(OpsError::LockLive {
            namespace,
            holder,
            since,
        }),
        Err(other) => Err(other.into()),
    }
}
