//! Credentials written into plugin config, where they would land in a
//! ConfigMap.

use crate::model::defaults::{is_placeholder, is_secret_key};
use crate::model::diag::{join, Diagnostic};
use serde_json::Value;

/// A secret-looking key may hold a `${VAR}` placeholder or a
/// `{secret_ref: NAME, key: KEY}` reference, never a literal. Everything
/// below a secret-looking key counts as secret (`client_secret: {value: x}`,
/// `tokens: [x]`). The message names the key and never the value.
pub(super) fn check_secret_value(
    file: &str,
    path: &str,
    key: &str,
    value: &Value,
    out: &mut Vec<Diagnostic>,
) {
    check_secret_value_under(file, path, key, value, None, out);
}

fn check_secret_value_under(
    file: &str,
    path: &str,
    key: &str,
    value: &Value,
    secret_key: Option<&str>,
    out: &mut Vec<Diagnostic>,
) {
    let secret = if is_secret_key(key) {
        Some(key)
    } else {
        secret_key
    };
    match (value, secret) {
        (Value::Object(map), _) => {
            if map.contains_key("secret_ref") {
                return;
            }
            let inherited = secret.filter(|k| wraps_one_secret(k));
            for (k, v) in map {
                check_secret_value_under(file, &join(path, k), k, v, inherited, out);
            }
        }
        (Value::Array(items), _) => {
            for (i, v) in items.iter().enumerate() {
                check_secret_value_under(file, &format!("{path}[{i}]"), key, v, secret, out);
            }
        }
        (Value::String(s), Some(secret)) if !is_placeholder(s) && !s.is_empty() => {
            out.push(inline_secret(file, path, secret))
        }
        (Value::Number(_) | Value::Bool(_), Some(secret)) => {
            out.push(inline_secret(file, path, secret))
        }
        _ => {}
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

/// The error for a credential written into plugin config. Names the key;
/// the value is never part of it.
fn inline_secret(file: &str, path: &str, key: &str) -> Diagnostic {
    Diagnostic::error(
        file,
        path,
        format!("secret-looking key {key:?} has an inline value that would land in a ConfigMap"),
    )
    .with_hint(format!(
        "store the value in a Kubernetes Secret and write `{key}: {{secret_ref: <secret>, key: <key>}}` or a `${{ENV_VAR}}` placeholder, or set the plugin's connection_secret_ref"
    ))
}
