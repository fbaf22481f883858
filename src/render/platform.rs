//! The platform configuration every pod loads (the platform ConfigMap) and
//! the plugin Secrets it points at instead of holding credentials.

use super::context::Ctx;
use crate::model::defaults::{is_placeholder, is_secret_key};
use crate::model::platform::Plugin;
use crate::names::PLATFORM_CONFIGMAP;
use serde_json::{json, Map, Value};

/// A plugin config value that points at a Secret key instead of holding the
/// credential: `{secret_ref: NAME, key: KEY}`.
pub(crate) fn secret_ref_of(value: &Value) -> Option<(String, String)> {
    let obj = value.as_object()?;
    let name = obj.get("secret_ref")?.as_str()?.to_string();
    let key = obj
        .get("key")
        .and_then(Value::as_str)
        .unwrap_or("value")
        .to_string();
    Some((name, key))
}

/// Environment variable that carries a plugin config secret reference.
pub(crate) fn plugin_env_name(category: &str, key: &str) -> String {
    format!("FLOE_{}_{}", category, key)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Secrets named by the manifest's plugins and floe.yaml's destinations; the
/// product's pods load them with `envFrom`.
pub(crate) fn plugin_secret_refs(ctx: &Ctx) -> Vec<String> {
    let mut names = Vec::new();
    if let Some(m) = &ctx.product.manifest {
        for p in m.plugins.values() {
            names.extend(p.connection_secret_ref.clone());
            for v in p.config.iter().flat_map(|c| c.values()) {
                names.extend(secret_ref_of(v).map(|(n, _)| n));
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

/// The variables for plugin config values given as secret refs.
pub(crate) fn plugin_secret_env(ctx: &Ctx) -> Vec<SecretEnv> {
    let mut out = Vec::new();
    if let Some(m) = &ctx.product.manifest {
        for (category, p) in &m.plugins {
            for (key, v) in p.config.iter().flatten() {
                if let Some((secret, secret_key)) = secret_ref_of(v) {
                    out.push(SecretEnv {
                        var: plugin_env_name(category, key),
                        secret,
                        key: secret_key,
                        optional: false,
                    });
                }
            }
        }
    }
    out
}

/// The platform configuration every pod loads: identity of the product and
/// the non-secret plugin configuration. Secret-looking keys only pass as
/// `${VAR}` placeholders or as references (validation refuses the rest, and
/// this function drops them again as a second line of defence).
pub(crate) fn platform_configmap(ctx: &Ctx) -> Value {
    let mut plugins = Map::new();
    if let Some(m) = &ctx.product.manifest {
        for (category, p) in &m.plugins {
            plugins.insert(category.clone(), plugin_entry(category, p));
        }
    }
    let spec = &ctx.product.spec;
    let platform = json!({
        "product": {"name": ctx.name, "version": ctx.version},
        "environment": ctx.env.as_str(),
        "plugins": plugins,
        "transforms": spec.transforms.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
        "schedule": spec.schedule.as_ref().map(|s| json!({"cron": s.cron, "timezone": s.timezone, "enabled": s.enabled})),
    });
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": ctx.metadata(PLATFORM_CONFIGMAP, "config"),
        "data": {
            "FLOE_PRODUCT": ctx.name,
            "FLOE_PRODUCT_VERSION": ctx.version,
            "FLOE_ENVIRONMENT": ctx.env.as_str(),
            "platform.json": serde_json::to_string_pretty(&platform).unwrap_or_default(),
        },
    })
}

/// One plugin in the platform configuration: its type, version and the
/// config values a ConfigMap may carry.
fn plugin_entry(category: &str, plugin: &Plugin) -> Value {
    let mut config = Map::new();
    for (key, v) in plugin.config.iter().flatten() {
        if secret_ref_of(v).is_some() {
            config.insert(
                key.clone(),
                json!({"fromEnv": plugin_env_name(category, key)}),
            );
        } else if is_secret_key(key) && !v.as_str().is_some_and(is_placeholder) {
            continue;
        } else {
            config.insert(key.clone(), v.clone());
        }
    }
    let mut entry = Map::new();
    entry.insert("type".into(), json!(plugin.plugin_type));
    if let Some(v) = &plugin.version {
        entry.insert("version".into(), json!(v));
    }
    entry.insert("config".into(), Value::Object(config));
    Value::Object(entry)
}
