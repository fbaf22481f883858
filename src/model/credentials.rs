//! Credentials in plugin config: where each one is, and where its value
//! comes from at run time.
//!
//! A secret-looking key may hold a `${VAR}` placeholder (resolved from the
//! environment) or a `{secret_ref: NAME, key: KEY}` reference; both reach the
//! pods without their value passing through floe. A literal value is an
//! *inline* credential: in dev it moves into the Secret floe renders and
//! owns ([`credentials_secret_name`]), elsewhere validation refuses it.
//! Either way the ConfigMap only says which variable carries it.

use super::defaults::{is_placeholder, is_secret_key};
use super::diag::join;
use super::platform::Manifest;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::fmt;

/// The Secret floe renders (in dev) for a product's inline credentials.
pub fn credentials_secret_name(product: &str) -> String {
    format!("{product}-plugin-credentials")
}

/// Where a credential's value comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// A literal in the manifest (never printed: see the `Debug` impl).
    Inline(String),
    /// A key of a Secret the platform team manages.
    SecretRef { secret: String, key: String },
}

/// One credential of one plugin's config.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// The plugin category (`catalog`).
    pub category: String,
    /// Its place below the plugin's `config` (`oauth2.client_secret`, `tokens[0]`).
    pub path: String,
    /// The key that makes it a credential (`client_secret`).
    pub key: String,
    pub source: CredentialSource,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            CredentialSource::Inline(_) => "inline (value not shown)".to_string(),
            CredentialSource::SecretRef { secret, key } => format!("secret {secret} key {key}"),
        };
        f.debug_struct("Credential")
            .field("field", &self.field())
            .field("source", &source)
            .finish()
    }
}

impl Credential {
    /// Its field path in the manifest: `plugins.catalog.config.oauth2.client_secret`.
    pub fn field(&self) -> String {
        format!("plugins.{}.config.{}", self.category, self.path)
    }

    /// The variable that carries the value into the pods.
    pub fn env_var(&self) -> String {
        plugin_env_name(&self.category, &self.path)
    }

    /// Its key in the credentials Secret: `catalog.oauth2.client_secret`
    /// (Secret keys allow `[-._a-zA-Z0-9]`).
    pub fn secret_key(&self) -> String {
        format!("{}.{}", self.category, self.path)
            .replace('[', ".")
            .replace(']', "")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-._".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }

    pub fn is_inline(&self) -> bool {
        matches!(self.source, CredentialSource::Inline(_))
    }
}

/// The environment variable for a plugin config value: `FLOE_<CATEGORY>_<PATH>`.
pub fn plugin_env_name(category: &str, path: &str) -> String {
    format!("FLOE_{category}_{path}")
        .trim_end_matches(']')
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

/// A plugin config value that points at a Secret key instead of holding the
/// credential: `{secret_ref: NAME, key: KEY}` (key `value` when not given).
pub fn secret_ref_of(value: &Value) -> Option<(String, String)> {
    let obj = value.as_object()?;
    let name = obj.get("secret_ref")?.as_str()?.to_string();
    let key = obj
        .get("key")
        .and_then(Value::as_str)
        .unwrap_or("value")
        .to_string();
    Some((name, key))
}

/// Every credential of every plugin of the manifest, in manifest order.
pub fn plugin_credentials(manifest: &Manifest) -> Vec<Credential> {
    manifest
        .plugins
        .iter()
        .flat_map(|(category, plugin)| {
            split_config(category, plugin.config.as_ref().unwrap_or(&BTreeMap::new())).1
        })
        .collect()
}

/// One plugin's config as a ConfigMap may carry it, and its credentials:
/// each credential (inline or referenced) is replaced by
/// `{"fromEnv": VARIABLE}`. Placeholders stay as they are.
pub fn split_config(
    category: &str,
    config: &BTreeMap<String, Value>,
) -> (Map<String, Value>, Vec<Credential>) {
    let mut walk = Walk {
        category,
        found: Vec::new(),
    };
    let safe = config
        .iter()
        .map(|(k, v)| (k.clone(), walk.value(k, k, v, None)))
        .collect();
    (safe, walk.found)
}

struct Walk<'a> {
    category: &'a str,
    found: Vec<Credential>,
}

impl Walk<'_> {
    /// `value` at `path` under `key`; `secret_key` is the secret-looking key
    /// it sits below, if any. Everything below a secret-looking key counts as
    /// secret (`client_secret: {value: x}`, `tokens: [x]`), except below a
    /// key that groups settings (`auth: {type: oauth2}`).
    fn value(&mut self, path: &str, key: &str, value: &Value, secret_key: Option<&str>) -> Value {
        let secret = if is_secret_key(key) {
            Some(key)
        } else {
            secret_key
        };
        if let Some((secret_name, secret_key)) = secret_ref_of(value) {
            return self.found(
                path,
                secret.unwrap_or(key),
                CredentialSource::SecretRef {
                    secret: secret_name,
                    key: secret_key,
                },
            );
        }
        match (value, secret) {
            (Value::Object(map), _) => {
                let inherited = secret.filter(|k| wraps_one_secret(k));
                let inner = map
                    .iter()
                    .map(|(k, v)| (k.clone(), self.value(&join(path, k), k, v, inherited)))
                    .collect();
                Value::Object(inner)
            }
            (Value::Array(items), _) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.value(&format!("{path}[{i}]"), key, v, secret))
                    .collect(),
            ),
            (Value::String(s), Some(secret)) if !is_placeholder(s) && !s.is_empty() => {
                self.found(path, secret, CredentialSource::Inline(s.clone()))
            }
            (Value::Number(_) | Value::Bool(_), Some(secret)) => {
                self.found(path, secret, CredentialSource::Inline(value.to_string()))
            }
            _ => value.clone(),
        }
    }

    fn found(&mut self, path: &str, key: &str, source: CredentialSource) -> Value {
        let credential = Credential {
            category: self.category.to_string(),
            path: path.to_string(),
            key: key.to_string(),
            source,
        };
        let replaced = json!({"fromEnv": credential.env_var()});
        self.found.push(credential);
        replaced
    }
}

/// `auth:` and `credentials:` group settings (`auth: {type: oauth2}`);
/// `client_secret: {value: x}` wraps one secret.
fn wraps_one_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    !(k.contains("auth") || k.contains("credential"))
        || ["password", "passwd", "secret", "token", "key"]
            .iter()
            .any(|w| k.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(value: Value) -> BTreeMap<String, Value> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn credentials_become_variables_and_values_stay_out() {
        let (safe, found) = split_config(
            "catalog",
            &config(json!({
                "uri": "http://polaris:8181",
                "oauth2": {"client_id": "orders", "client_secret": "s3cr3t"},
                "token": {"secret_ref": "polaris", "key": "token"},
                "password": "${DB_PASSWORD}",
                "auth": {"type": "oauth2"},
                "api_keys": ["k1", 7],
            })),
        );
        assert_eq!(
            Value::Object(safe.clone()),
            json!({
                "uri": "http://polaris:8181",
                "oauth2": {"client_id": "orders", "client_secret": {"fromEnv": "FLOE_CATALOG_OAUTH2_CLIENT_SECRET"}},
                "token": {"fromEnv": "FLOE_CATALOG_TOKEN"},
                "password": "${DB_PASSWORD}",
                "auth": {"type": "oauth2"},
                "api_keys": [{"fromEnv": "FLOE_CATALOG_API_KEYS_0"}, {"fromEnv": "FLOE_CATALOG_API_KEYS_1"}],
            })
        );
        let fields: Vec<(String, String, bool)> = found
            .iter()
            .map(|c| (c.field(), c.secret_key(), c.is_inline()))
            .collect();
        assert_eq!(
            fields,
            [
                (
                    "plugins.catalog.config.api_keys[0]".into(),
                    "catalog.api_keys.0".into(),
                    true
                ),
                (
                    "plugins.catalog.config.api_keys[1]".into(),
                    "catalog.api_keys.1".into(),
                    true
                ),
                (
                    "plugins.catalog.config.oauth2.client_secret".into(),
                    "catalog.oauth2.client_secret".into(),
                    true
                ),
                (
                    "plugins.catalog.config.token".into(),
                    "catalog.token".into(),
                    false
                ),
            ]
        );
        let text = format!("{found:?}{safe:?}");
        assert!(!text.contains("s3cr3t") && !text.contains("k1"), "{text}");
    }
}
