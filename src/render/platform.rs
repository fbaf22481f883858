//! The platform configuration every pod loads (the platform ConfigMap) and
//! the plugin Secrets it points at instead of holding credentials.

use super::context::Ctx;
use crate::model::credentials::{
    credentials_secret_name, plugin_credentials, split_config, CredentialSource,
};
use crate::model::observability::Observability;
use crate::model::platform::Plugin;
use crate::model::Environment;
use crate::names::PLATFORM_CONFIGMAP;
use serde_json::{json, Map, Value};

/// Secrets named by the manifest's plugins and floe.yaml's destinations; the
/// product's pods load them with `envFrom`.
pub(crate) fn plugin_secret_refs(ctx: &Ctx) -> Vec<String> {
    let mut names = Vec::new();
    if let Some(m) = &ctx.product.manifest {
        for p in m.plugins.values() {
            names.extend(p.connection_secret_ref.clone());
        }
        for c in plugin_credentials(m) {
            if let CredentialSource::SecretRef { secret, .. } = c.source {
                names.push(secret);
            }
        }
    }
    for d in ctx.product.spec.destinations.iter().flatten() {
        names.extend(d.connection_secret_ref.clone());
    }
    names.sort();
    names.dedup();
    names
}

/// One environment variable filled from a Secret key.
pub(crate) struct SecretEnv {
    pub var: String,
    pub secret: String,
    pub key: String,
    pub optional: bool,
}

/// The variables for plugin credentials: each from its referenced Secret
/// key, or in dev an inline one from the credentials Secret floe owns.
pub(crate) fn plugin_secret_env(ctx: &Ctx) -> Vec<SecretEnv> {
    let Some(m) = &ctx.product.manifest else {
        return Vec::new();
    };
    let own = credentials_secret_name(ctx.name);
    plugin_credentials(m)
        .into_iter()
        .filter_map(|c| {
            let (secret, key) = match &c.source {
                CredentialSource::SecretRef { secret, key } => (secret.clone(), key.clone()),
                CredentialSource::Inline(_) if ctx.env == Environment::Dev => {
                    (own.clone(), c.secret_key())
                }
                CredentialSource::Inline(_) => return None,
            };
            Some(SecretEnv {
                var: c.env_var(),
                secret,
                key,
                optional: false,
            })
        })
        .collect()
}

/// In dev, the Secret holding the manifest's inline credentials, one key
/// each (floe renders and owns it; plans show its values as fingerprints
/// and revision records never hold them). `None` when there are none, and
/// always outside dev, where validation refuses inline credentials.
pub(crate) fn credentials_secret(ctx: &Ctx) -> Option<Value> {
    use base64::Engine;
    let m = ctx.product.manifest.as_ref()?;
    if ctx.env != Environment::Dev {
        return None;
    }
    let data: Map<String, Value> = plugin_credentials(m)
        .into_iter()
        .filter_map(|c| match &c.source {
            CredentialSource::Inline(value) => Some((
                c.secret_key(),
                json!(base64::engine::general_purpose::STANDARD.encode(value)),
            )),
            CredentialSource::SecretRef { .. } => None,
        })
        .collect();
    (!data.is_empty()).then(|| {
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": ctx.metadata(&credentials_secret_name(ctx.name), "credentials"),
            "type": "Opaque",
            "data": data,
        })
    })
}

/// The platform configuration every pod loads: identity of the product,
/// the plugin configuration, and where telemetry and lineage go (as the
/// OpenTelemetry and OpenLineage variables). A credential never passes:
/// the config names the variable that carries it instead.
pub(crate) fn platform_configmap(ctx: &Ctx) -> Value {
    let mut plugins = Map::new();
    if let Some(m) = &ctx.product.manifest {
        for (category, p) in &m.plugins {
            plugins.insert(category.clone(), plugin_entry(category, p));
        }
    }
    let observability = ctx
        .product
        .manifest
        .as_ref()
        .and_then(|m| Observability::of(m, ctx.env))
        .map(|o| o.env())
        .unwrap_or_default();
    let spec = &ctx.product.spec;
    let mut platform = json!({
        "product": {"name": ctx.name, "version": ctx.version},
        "environment": ctx.env.as_str(),
        "plugins": plugins,
        "transforms": spec.transforms.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
        "schedule": spec.schedule.as_ref().map(|s| json!({"cron": s.cron, "timezone": s.timezone, "enabled": s.enabled})),
    });
    if !observability.is_empty() {
        platform["observability"] = json!(observability);
    }
    let mut data = json!({
        "FLOE_PRODUCT": ctx.name,
        "FLOE_PRODUCT_VERSION": ctx.version,
        "FLOE_ENVIRONMENT": ctx.env.as_str(),
        "platform.json": serde_json::to_string_pretty(&platform).unwrap_or_default(),
    });
    for (k, v) in observability {
        data[k] = json!(v);
    }
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": ctx.metadata(PLATFORM_CONFIGMAP, "config"),
        "data": data,
    })
}

/// One plugin in the platform configuration: its type, version and its
/// config with every credential replaced by the variable that carries it.
fn plugin_entry(category: &str, plugin: &Plugin) -> Value {
    let empty = Default::default();
    let (config, _) = split_config(category, plugin.config.as_ref().unwrap_or(&empty));
    let mut entry = Map::new();
    entry.insert("type".into(), json!(plugin.plugin_type));
    if let Some(v) = &plugin.version {
        entry.insert("version".into(), json!(v));
    }
    entry.insert("config".into(), Value::Object(config));
    Value::Object(entry)
}
