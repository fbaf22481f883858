//! How configuration and Secrets reach the main container: `envFrom`
//! sources, variables from Secret keys, and the config-file and Secret
//! volumes they bring.

use super::context::Ctx;
use super::platform::{plugin_secret_env, plugin_secret_refs, SecretEnv};
use super::volumes::PodVolumes;
use crate::model::effective::EffectiveWorkload;
use crate::model::settings::SecretMount;
use crate::names::PLATFORM_CONFIGMAP;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub(super) struct EnvSources {
    pub env_from: Vec<Value>,
    pub secret_env: Vec<SecretEnv>,
}

/// The platform ConfigMap, the workload's own config, the plugin Secrets,
/// then the workload's Secrets as `envFrom`, files or single keys.
pub(super) fn env_sources(ctx: &Ctx, w: &EffectiveWorkload, pod: &mut PodVolumes) -> EnvSources {
    let mut sources = EnvSources {
        env_from: vec![json!({"configMapRef": {"name": PLATFORM_CONFIGMAP}})],
        secret_env: plugin_secret_env(ctx),
    };
    add_workload_config(w, &mut sources, pod);
    for s in plugin_secret_refs(ctx) {
        sources.env_from.push(json!({"secretRef": {"name": s}}));
    }
    for s in &w.config.secrets {
        add_secret(s, &mut sources, pod);
    }
    sources
}

fn add_workload_config(w: &EffectiveWorkload, sources: &mut EnvSources, pod: &mut PodVolumes) {
    let Some(cm) = w.configmap_name() else {
        return;
    };
    let c = &w.config;
    if !c.config.is_empty() {
        sources.env_from.push(json!({"configMapRef": {"name": cm}}));
    }
    if !c.config_files.is_empty() {
        let items: Vec<Value> = c
            .config_files
            .keys()
            .map(|k| json!({"key": k, "path": k}))
            .collect();
        let path = c
            .config_mount_path
            .clone()
            .unwrap_or_else(|| "/etc/floe/config".into());
        pod.add(
            json!({"name": "config-files", "configMap": {"name": cm, "items": items}}),
            "config-files",
            json!({"name": "config-files", "mountPath": path, "readOnly": true}),
        );
    }
}

fn add_secret(s: &SecretMount, sources: &mut EnvSources, pod: &mut PodVolumes) {
    let optional = s.optional.unwrap_or(false);
    let mark_optional = |mut reference: Value| {
        if optional {
            reference["optional"] = json!(true);
        }
        reference
    };
    if s.env_from == Some(true) {
        let reference = mark_optional(json!({"name": s.secret}));
        sources.env_from.push(json!({"secretRef": reference}));
    }
    if let Some(path) = &s.mount_path {
        let volume = format!("secret-{}", s.secret);
        let source = mark_optional(json!({"secretName": s.secret}));
        pod.add(
            json!({"name": volume, "secret": source}),
            &volume,
            json!({"name": volume, "mountPath": path, "readOnly": true}),
        );
    }
    for (var, key) in &s.env {
        sources.secret_env.push(SecretEnv {
            var: var.clone(),
            secret: s.secret.clone(),
            key: key.clone(),
            optional,
        });
    }
}

/// Plain and Secret-fed variables, sorted by name.
pub(super) fn env_list(plain: &BTreeMap<String, String>, secret_env: &[SecretEnv]) -> Vec<Value> {
    let mut env: Vec<(String, Value)> = plain
        .iter()
        .map(|(k, v)| (k.clone(), json!({"name": k, "value": v})))
        .collect();
    for s in secret_env {
        let mut selector = json!({"name": s.secret, "key": s.key});
        if s.optional {
            selector["optional"] = json!(true);
        }
        env.push((
            s.var.clone(),
            json!({"name": s.var, "valueFrom": {"secretKeyRef": selector}}),
        ));
    }
    env.sort_by(|a, b| a.0.cmp(&b.0));
    env.into_iter().map(|(_, v)| v).collect()
}
