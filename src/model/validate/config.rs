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
