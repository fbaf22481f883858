//! The recorded revisions of a product in one environment.

use super::OpsError;
use crate::cluster::Cluster;
use crate::model::effective::namespace_name;
use crate::model::Product;
use crate::state::{History, Listing};

/// The history of `product` in its environment's namespace.
pub fn history_of<'a>(cluster: &'a Cluster, product: &Product) -> History<'a> {
    History::new(
        cluster,
        &namespace_name(product),
        &product.spec.metadata.name,
        product.env.as_str(),
    )
}

/// The readable revisions, newest first, and the records left out.
pub async fn list(cluster: &Cluster, product: &Product) -> Result<Listing, OpsError> {
    Ok(history_of(cluster, product).listing().await?)
}
