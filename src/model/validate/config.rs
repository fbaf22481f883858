//! Rules for how configuration reaches a workload: no credentials in its
//! ConfigMap or plain environment, valid variable names, and Secrets that
//! are named validly and actually used.

use super::names::{check_env_name, invalid_dns_name, is_dns1123_subdomain};
use super::scope::WorkloadScope;
use crate::model::defaults::{is_placeholder, is_secret_key};
use crate::model::diag::{join, Diagnostic};
use crate::model::SETTINGS_FILE;

pub(super) fn config_rules(s: &WorkloadScope, out: &mut Vec<Diagnostic>) {
    let config = s.config();
    for key in config.config.keys().chain(config.config_files.keys()) {
        if is_secret_key(key) {
            out.push(
                s.error(
                    &format!("config.{key}"),
                    format!("secret-looking key {key:?} would land in a ConfigMap"),
                )
                .with_hint(
                    "put the value in a Kubernetes Secret and reference it under `secrets:`",
                ),
            );
        }
    }
    for (key, value) in &config.env {
        if is_secret_key(key) && !is_placeholder(value) {
            out.push(
                s.error(
                    &format!("env.{key}"),
                    format!("secret-looking variable {key:?} has an inline value"),
                )
                .with_hint("load it from a Secret: `secrets: [{secret: NAME, env: {VAR: key}}]`"),
            );
        }
        check_env_name(&s.at(&format!("env.{key}")), key, out);
    }
    secret_rules(s, out);
    config_map_limits(s, out);
}

/// The most a ConfigMap's data may hold: the API server refuses a larger
/// object (etcd's 1.5 MiB request limit leaves 1 MiB for the data).
const CONFIG_MAP_MAX_BYTES: usize = 1024 * 1024;

/// What the API server would refuse in the workload's ConfigMap, said here
/// with the field instead of at apply time: invalid keys and its size.
fn config_map_limits(s: &WorkloadScope, out: &mut Vec<Diagnostic>) {
    let config = s.config();
    let entries = config.config.iter().map(|e| ("config", e));
    let files = config.config_files.iter().map(|e| ("configFiles", e));
    let mut size = 0;
    let mut largest: Option<(&str, &str, usize)> = None;
    for (section, (key, value)) in entries.chain(files) {
        if !is_config_map_key(key) {
            out.push(
                s.error(
                    &key_path(section, key),
                    format!("{key:?} is not a valid ConfigMap key"),
                )
                .with_hint("use letters, digits, '-', '_' and '.' (at most 253 characters)"),
            );
        }
        size += key.len() + value.len();
        if largest.is_none_or(|(_, _, n)| value.len() > n) {
            largest = Some((section, key, value.len()));
        }
    }
    if let (true, Some((section, key, n))) = (size > CONFIG_MAP_MAX_BYTES, largest) {
        out.push(
            s.error(
                &key_path(section, key),
                format!(
                    "the workload's ConfigMap would hold {size} bytes, above the {CONFIG_MAP_MAX_BYTES} the API server accepts (this entry: {n} bytes)"
                ),
            )
            .with_hint("keep large files out of the settings: bake them into the image, or mount a volume"),
        );
    }
}

/// `section.key`, or `section["key"]` for a key with dots or other
/// characters a dotted path cannot hold (file names: `settings.toml`).
fn key_path(section: &str, key: &str) -> String {
    if key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        format!("{section}.{key}")
    } else {
        format!("{section}[{key:?}]")
    }
}

/// A ConfigMap data key as the API server checks it.
fn is_config_map_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key != "."
        && key != ".."
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn secret_rules(s: &WorkloadScope, out: &mut Vec<Diagnostic>) {
    for (i, secret) in s.config().secrets.iter().enumerate() {
        let path = s.at(&format!("secrets[{i}]"));
        if !is_dns1123_subdomain(&secret.secret) {
            out.push(invalid_dns_name(
                join(&path, "secret"),
                "Secret name",
                &secret.secret,
            ));
        }
        if secret.env_from != Some(true) && secret.mount_path.is_none() && secret.env.is_empty() {
            out.push(
                Diagnostic::error(SETTINGS_FILE, path.clone(), format!("Secret {:?} is referenced but not used", secret.secret))
                    .with_hint("say how it reaches the container: `envFrom: true`, `mountPath: /path`, or `env: {VAR: key}`"),
            );
        }
        for var in secret.env.keys() {
            check_env_name(&join(&path, &format!("env.{var}")), var, out);
        }
    }
}
