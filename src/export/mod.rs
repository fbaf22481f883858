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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{self, Environment};
    use crate::render::render;
    use serde_json::Value;
    use std::path::Path;

    fn sets(example: &str, envs: &[Environment]) -> Vec<DesiredSet> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(example);
        envs.iter()
            .map(|env| render(&model::load(&dir, *env, None).expect("example loads")))
            .collect()
    }

    fn values(chart: &Chart, file: &str) -> Value {
        serde_norway::from_str(&chart.files[file]).expect("values parse")
    }

    #[test]
    fn what_differs_gets_readable_values_per_environment() {
        let chart = helm_chart(&sets("full", &Environment::ALL), None).unwrap();
        let dev = values(&chart, "values-dev.yaml");
        let prod = values(&chart, "values-prod.yaml");
        assert_eq!(dev["namespace"], "orders-dev");
        assert_eq!(prod["namespace"], "orders-prod");
        assert_eq!(dev["workloads"]["api"]["hpa"]["minReplicas"], 1);
        assert_eq!(prod["workloads"]["api"]["hpa"]["maxReplicas"], 8);
        assert_eq!(prod["workloads"]["daemon"]["replicas"], 2);
        assert_eq!(prod["quota"]["requests.cpu"], "16");
        assert_eq!(dev["networkPolicies"]["enabled"], false);
        assert_eq!(prod["workloads"]["code-location"]["pdb"]["enabled"], true);
        assert_eq!(
            prod["workloads"]["api"]["ingress"]["host"],
            "orders.example.com"
        );
        assert_eq!(
            dev["workloads"]["api"]["image"],
            "registry.example.com/acme/orders:2.3.1"
        );
        assert_eq!(
            dev["workloads"]["api"]["resources"]["limits"]["cpu"],
            "500m"
        );
        // prod's hard affinity replaces dev's soft one: the default's key goes.
        let node_affinity = &prod["workloads"]["api"]["affinity"]["nodeAffinity"];
        assert!(node_affinity["preferredDuringSchedulingIgnoredDuringExecution"].is_null());
        assert!(node_affinity["requiredDuringSchedulingIgnoredDuringExecution"].is_object());
    }

    #[test]
    fn chart_yaml_carries_the_product_and_its_version() {
        let chart = helm_chart(&sets("minimal", &[Environment::Dev]), Some("d")).unwrap();
        let meta: Value = serde_norway::from_str(&chart.files["Chart.yaml"]).unwrap();
        assert_eq!(meta["apiVersion"], "v2");
        assert_eq!(meta["name"], "customer-analytics");
        assert_eq!(meta["version"], "1.0.0");
        assert_eq!(meta["appVersion"], "1.0.0");
        assert!(meta["annotations"][EXPORTED_BY].is_string());
    }

    #[test]
    fn one_environment_still_names_the_values_operators_look_for() {
        let chart = helm_chart(&sets("minimal", &[Environment::Staging]), None).unwrap();
        let staging = values(&chart, "values-staging.yaml");
        assert_eq!(staging["environment"], "staging");
        assert_eq!(staging["workloads"]["code-location"]["replicas"], 2);
        assert!(staging["workloads"]["code-location"]["image"].is_string());
        assert!(
            staging.get("objects").is_none(),
            "nothing differs: {staging}"
        );
        let schema: Value = serde_json::from_str(&chart.files["values.schema.json"]).unwrap();
        let replicas = &schema["properties"]["workloads"]["properties"]["code-location"]
            ["properties"]["replicas"];
        assert_eq!(replicas["type"], "integer");
    }

    #[test]
    fn objects_only_some_environments_render_sit_behind_a_toggle() {
        let chart = helm_chart(&sets("minimal", &Environment::ALL), None).unwrap();
        let pdb = &chart.files["templates/poddisruptionbudget-code-location.yaml"];
        assert!(pdb.starts_with(
            "{{- if (index .Values.workloads \"code-location\" \"pdb\" \"enabled\") }}\n"
        ));
        assert!(pdb.ends_with("{{- end }}\n"));
        let policy = &chart.files["templates/networkpolicy-default-deny.yaml"];
        assert!(policy.starts_with("{{- if .Values.networkPolicies.enabled }}\n"));
    }

    #[test]
    fn a_secret_is_never_exported() {
        let mut sets = sets("minimal", &[Environment::Dev]);
        let secret = serde_json::json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db", "namespace": "x"}, "stringData": {"password": "p"},
        });
        sets[0]
            .objects
            .push(crate::object::Object::from_value(secret).unwrap());
        let err = helm_chart(&sets, None).unwrap_err();
        assert!(matches!(err, ExportError::Secret { .. }), "{err}");
    }

    #[test]
    fn no_chart_file_names_a_secret_value() {
        let chart = helm_chart(&sets("full", &Environment::ALL), None).unwrap();
        for (file, text) in &chart.files {
            assert!(!text.contains("kind: Secret"), "{file}");
        }
    }
}
