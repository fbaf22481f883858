//! Where a product's telemetry and lineage go, read from the platform
//! manifest's `observability` (`tracing`, `lineage`) or from the compiled
//! output's (`telemetry`, `lineage_*`): one shape, whichever input the
//! product came from, spelled for the pods as the OpenTelemetry and
//! OpenLineage clients read their settings.

use super::platform::Manifest;
use super::Environment;
use serde_json::Value;
use std::collections::BTreeMap;

/// The observability settings of one environment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observability {
    pub tracing_enabled: Option<bool>,
    pub otlp_endpoint: Option<String>,
    /// `grpc` or `http`.
    pub otlp_protocol: Option<String>,
    /// The share of traces kept in this environment (0 to 1).
    pub sampling_ratio: Option<f64>,
    pub resource_attributes: BTreeMap<String, String>,
    pub lineage_enabled: Option<bool>,
    pub lineage_namespace: Option<String>,
    pub lineage_endpoint: Option<String>,
}

impl Observability {
    /// The manifest's observability for `env`; `None` when it says nothing.
    pub fn of(manifest: &Manifest, env: Environment) -> Option<Observability> {
        let o = manifest.observability.as_ref()?;
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        let tracing = o.get("tracing").or_else(|| o.get("telemetry"));
        let t = |key: &str| tracing.and_then(|t| t.get(key));
        let lineage = o.get("lineage");
        let l = |key: &str| lineage.and_then(|l| l.get(key));
        let found = Observability {
            tracing_enabled: t("enabled").and_then(Value::as_bool),
            otlp_endpoint: text(t("otlp_endpoint").or_else(|| t("endpoint"))),
            otlp_protocol: text(t("otlp_protocol").or_else(|| t("protocol"))),
            sampling_ratio: sampling(t("sampling").or_else(|| t("sample_rate")), env),
            resource_attributes: attributes(t("resource_attributes"), env),
            lineage_enabled: lineage
                .and_then(Value::as_bool)
                .or_else(|| l("enabled").and_then(Value::as_bool)),
            lineage_namespace: text(o.get("lineage_namespace").or_else(|| l("namespace"))),
            lineage_endpoint: text(
                o.get("lineage_endpoint")
                    .or_else(|| l("endpoint"))
                    .or_else(|| l("url")),
            ),
        };
        (found != Observability::default()).then_some(found)
    }

    /// The variables the pods read, by name.
    pub fn env(&self) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                env.insert(k.to_string(), v);
            }
        };
        put(
            "OTEL_SDK_DISABLED",
            (self.tracing_enabled == Some(false)).then(|| "true".into()),
        );
        put("OTEL_EXPORTER_OTLP_ENDPOINT", self.otlp_endpoint.clone());
        put(
            "OTEL_EXPORTER_OTLP_PROTOCOL",
            self.otlp_protocol.as_deref().map(|p| match p {
                "http" => "http/protobuf".to_string(),
                other => other.to_string(),
            }),
        );
        if let Some(ratio) = self.sampling_ratio {
            put(
                "OTEL_TRACES_SAMPLER",
                Some("parentbased_traceidratio".into()),
            );
            put("OTEL_TRACES_SAMPLER_ARG", Some(ratio.to_string()));
        }
        let attributes: Vec<String> = self
            .resource_attributes
            .iter()
            .map(|(k, v)| format!("{k}={}", v.replace(',', "%2C").replace('=', "%3D")))
            .collect();
        put(
            "OTEL_RESOURCE_ATTRIBUTES",
            (!attributes.is_empty()).then(|| attributes.join(",")),
        );
        put(
            "OPENLINEAGE_DISABLED",
            (self.lineage_enabled == Some(false)).then(|| "true".into()),
        );
        put("OPENLINEAGE_URL", self.lineage_endpoint.clone());
        put("OPENLINEAGE_NAMESPACE", self.lineage_namespace.clone());
        env
    }
}

/// A ratio, or one per environment (`{dev: 1.0, staging: 0.5, prod: 0.1}`).
fn sampling(value: Option<&Value>, env: Environment) -> Option<f64> {
    match value? {
        Value::Number(n) => n.as_f64(),
        Value::Object(per_env) => per_env.get(env.as_str()).and_then(Value::as_f64),
        _ => None,
    }
}

/// Resource attributes with OpenTelemetry's dotted names (`service_name`
/// is `service.name`); the environment (and the floe mode, which matches
/// it) is the one deployed to, whatever the compile step assumed.
fn attributes(value: Option<&Value>, env: Environment) -> BTreeMap<String, String> {
    let Some(Value::Object(map)) = value else {
        return BTreeMap::new();
    };
    let mut out: BTreeMap<String, String> = map
        .iter()
        .filter_map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                Value::Number(_) | Value::Bool(_) => v.to_string(),
                _ => return None,
            };
            Some((k.replace('_', "."), v))
        })
        .collect();
    out.insert("deployment.environment".into(), env.as_str().into());
    if let Some(mode) = out.get_mut("floe.mode") {
        *mode = env.as_str().into();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn manifest(observability: Value) -> Manifest {
        serde_json::from_value(json!({"apiVersion": "floe.dev/v1", "kind": "Manifest",
            "observability": observability}))
        .unwrap()
    }

    #[test]
    fn the_manifest_and_the_compiled_shapes_read_alike() {
        let from_manifest = manifest(json!({
            "tracing": {"enabled": true, "endpoint": "http://otel:4317", "sample_rate": 0.1},
            "lineage": {"enabled": true, "namespace": "acme", "endpoint": "http://marquez:5000"},
        }));
        let from_compiled = manifest(json!({
            "telemetry": {"enabled": true, "otlp_endpoint": "http://otel:4317",
                "sampling": {"dev": 1.0, "staging": 0.5, "prod": 0.1}},
            "lineage": true, "lineage_namespace": "acme", "lineage_endpoint": "http://marquez:5000",
        }));
        let a = Observability::of(&from_manifest, Environment::Prod).unwrap();
        let b = Observability::of(&from_compiled, Environment::Prod).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a.env().get("OTEL_TRACES_SAMPLER_ARG").map(String::as_str),
            Some("0.1")
        );
        assert_eq!(
            a.env().get("OPENLINEAGE_URL").map(String::as_str),
            Some("http://marquez:5000")
        );
        let dev = Observability::of(&from_compiled, Environment::Dev).unwrap();
        assert_eq!(dev.sampling_ratio, Some(1.0));
        assert!(Observability::of(&manifest(json!({})), Environment::Dev).is_none());
    }

    #[test]
    fn resource_attributes_are_dotted_and_name_the_environment() {
        let m = manifest(json!({"telemetry": {"resource_attributes": {
            "service_name": "orders", "deployment_environment": "dev", "floe_product_name": "orders"}}}));
        let o = Observability::of(&m, Environment::Staging).unwrap();
        assert_eq!(
            o.env()["OTEL_RESOURCE_ATTRIBUTES"],
            "deployment.environment=staging,floe.product.name=orders,service.name=orders"
        );
    }
}
