//! The product's identity: its ServiceAccount, and the Role and RoleBinding
//! that let its pods read what they reference.

use super::context::Ctx;
use serde_json::{json, Value};

/// The one ServiceAccount every pod of the product runs as.
pub(crate) fn service_account_name(ctx: &Ctx) -> String {
    ctx.name.to_string()
}

pub(crate) fn service_account(ctx: &Ctx) -> Value {
    let mut sa = json!({
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": ctx.metadata(&service_account_name(ctx), "identity"),
    });
    let secrets = &ctx.product.settings.image_pull_secrets;
    if !secrets.is_empty() {
        sa["imagePullSecrets"] = Value::Array(secrets.iter().map(|s| json!({"name": s})).collect());
    }
    sa
}

/// Only what the product's pods need: read the Secrets and ConfigMaps they
/// reference, by name.
pub(crate) fn role(ctx: &Ctx, secrets: &[String], configmaps: &[String]) -> Value {
    let secrets = sorted_unique(secrets);
    let configmaps = sorted_unique(configmaps);
    let mut rules = vec![read_rule("configmaps", &configmaps)];
    if !secrets.is_empty() {
        rules.push(read_rule("secrets", &secrets));
    }
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": ctx.metadata(&service_account_name(ctx), "identity"),
        "rules": rules,
    })
}

fn sorted_unique(names: &[String]) -> Vec<&String> {
    let mut names: Vec<&String> = names.iter().collect();
    names.sort();
    names.dedup();
    names
}

fn read_rule(resource: &str, names: &[&String]) -> Value {
    json!({
        "apiGroups": [""],
        "resources": [resource],
        "resourceNames": names,
        "verbs": ["get"],
    })
}

pub(crate) fn role_binding(ctx: &Ctx) -> Value {
    let name = service_account_name(ctx);
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": ctx.metadata(&name, "identity"),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": ctx.namespace}],
    })
}
