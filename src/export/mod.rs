//! Export: a product's rendered environments as a Helm chart whose
//! templates give back, for each environment's values file, exactly the
//! objects floe renders for it.
//!
//! The objects of every environment are compared: what all agree on stays
//! literal in the templates, what differs becomes a value (under a readable
//! name where there is one: image, replicas, resources, HPA bounds, quota,
//! ingress host, namespace), objects rendered in only some environments sit
//! behind a toggle. Pure: from desired sets to the chart's files.

mod chart;
mod group;
mod labels;
mod lift;
mod naming;
mod path;
mod schema;
mod store;
mod templates;
mod values;
mod yaml;

pub use chart::EXPORTED_BY;

use crate::render::DesiredSet;
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("no environment to export")]
    NoEnvironment,
    #[error("the {environment} environment renders a Secret ({name}); a chart never carries secret values")]
    Secret { environment: String, name: String },
    #[error("the environments render different products ({first} and {other})")]
    MixedProducts { first: String, other: String },
}

/// A chart's files: path inside the chart directory → text.
#[derive(Debug, Clone)]
pub struct Chart {
    pub name: String,
    pub version: String,
    pub files: BTreeMap<String, String>,
}

/// The chart of one product from its desired set in each environment to
/// export (in the order given; the first one's values are the defaults).
pub fn helm_chart(sets: &[DesiredSet], description: Option<&str>) -> Result<Chart, ExportError> {
    let first = sets.first().ok_or(ExportError::NoEnvironment)?;
    check(sets)?;
    let envs = naming::Environments {
        product: first.product.clone(),
        names: sets.iter().map(|s| s.environment.to_string()).collect(),
        namespaces: sets.iter().map(|s| s.namespace.clone()).collect(),
    };
    let shared = first
        .objects
        .first()
        .and_then(labels::SharedLabels::from_first);
    let mut lifter = lift::Lifter {
        envs: &envs,
        chart: first.product.clone(),
        shared: shared.clone(),
        store: store::ValueStore::default(),
    };
    let mut files = BTreeMap::new();
    for object in group::group(sets) {
        let lifted = lifter.object(&object);
        files.insert(
            format!("templates/{}", object.file),
            templates::object(&lifted),
        );
    }
    files.insert(
        "templates/_helpers.tpl".into(),
        labels::helpers(&first.product, shared.as_ref()),
    );
    files.insert(
        "Chart.yaml".into(),
        chart::chart_yaml(&first.product, &first.version, description),
    );
    files.insert(
        "values.yaml".into(),
        values::defaults(&lifter.store, &envs.names),
    );
    for (i, name) in envs.names.iter().enumerate() {
        files.insert(
            format!("values-{name}.yaml"),
            values::environment(&lifter.store, i, name),
        );
    }
    files.insert("values.schema.json".into(), schema::schema(&lifter.store));
    Ok(Chart {
        name: first.product.clone(),
        version: first.version.clone(),
        files,
    })
}

/// One product, and never a Secret: floe renders references to Secrets
/// only, and a chart must not become the place a secret value leaks to.
fn check(sets: &[DesiredSet]) -> Result<(), ExportError> {
    let first = &sets[0];
    for set in sets {
        if set.product != first.product {
            return Err(ExportError::MixedProducts {
                first: first.product.clone(),
                other: set.product.clone(),
            });
        }
        if let Some(secret) = set.objects.iter().find(|o| o.kind == "Secret") {
            return Err(ExportError::Secret {
                environment: set.environment.to_string(),
                name: secret.name.clone(),
            });
        }
    }
    Ok(())
}
