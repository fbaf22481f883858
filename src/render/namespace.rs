//! Namespace-level objects: the namespace and its guards (quota, limits,
//! network policies), the product's identity (ServiceAccount, Role,
//! RoleBinding) and the platform ConfigMap.

use super::workload::EffectiveWorkload;
use super::{canonical_quantity, Ctx};
use crate::model::defaults::{self, is_placeholder, is_secret_key};
use crate::model::platform::Quantityish;
use crate::names::PLATFORM_CONFIGMAP;
use serde_json::{json, Map, Value};

pub(crate) fn namespace(ctx: &Ctx) -> Value {
    let mut labels = ctx.labels("namespace", &ctx.namespace);
    for (k, v) in &ctx.product.settings.namespace.labels {
        labels.insert(k.clone(), Value::String(v.clone()));
    }
    for mode in ["enforce", "audit", "warn"] {
        labels.insert(
            format!("pod-security.kubernetes.io/{mode}"),
            json!("restricted"),
        );
        labels.insert(
            format!("pod-security.kubernetes.io/{mode}-version"),
            json!("latest"),
        );
    }
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": ctx.namespace, "labels": labels},
    })
}

fn q(value: &Option<Quantityish>, default: &str, memory: bool) -> String {
    let text = value
        .as_ref()
        .map(Quantityish::as_string)
        .unwrap_or_else(|| default.to_string());
    canonical_quantity(&text, memory)
}

pub(crate) fn resource_quota(ctx: &Ctx) -> Value {
    let d = defaults::for_env(ctx.env);
    let quota = ctx
        .product
        .settings
        .namespace
        .quota
        .clone()
        .unwrap_or_default();
    let mut hard = Map::new();
    hard.insert(
        "requests.cpu".into(),
        json!(q(&quota.cpu, d.quota_cpu, false)),
    );
    hard.insert(
        "requests.memory".into(),
        json!(q(&quota.memory, d.quota_memory, true)),
    );
    hard.insert(
        "limits.cpu".into(),
        json!(q(&quota.limits_cpu, d.quota_limits_cpu, false)),
    );
    hard.insert(
        "limits.memory".into(),
        json!(q(&quota.limits_memory, d.quota_limits_memory, true)),
    );
    hard.insert(
        "pods".into(),
        json!(quota.pods.unwrap_or(d.quota_pods).to_string()),
    );
    if let Some(n) = quota.persistent_volume_claims {
        hard.insert("persistentvolumeclaims".into(), json!(n.to_string()));
    }
    if let Some(s) = &quota.storage {
        hard.insert(
            "requests.storage".into(),
            json!(canonical_quantity(&s.as_string(), true)),
        );
    }
    json!({
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": ctx.metadata("floe-quota", "namespace"),
        "spec": {"hard": hard},
    })
}

pub(crate) fn limit_range(ctx: &Ctx) -> Value {
    let limits = ctx
        .product
        .settings
        .namespace
        .limits
        .clone()
        .unwrap_or_default();
    let pair = |v: &Option<crate::model::platform::CpuMemory>, (cpu, mem): (&str, &str)| match v {
        Some(cm) => json!({
            "cpu": canonical_quantity(&cm.cpu.as_string(), false),
            "memory": canonical_quantity(&cm.memory.as_string(), true),
        }),
        None => {
            json!({"cpu": canonical_quantity(cpu, false), "memory": canonical_quantity(mem, true)})
        }
    };
    let mut item = json!({
        "type": "Container",
        "defaultRequest": pair(&limits.default_request, defaults::LIMITRANGE_DEFAULT_REQUEST),
        "default": pair(&limits.default, defaults::LIMITRANGE_DEFAULT),
    });
    if let Some(max) = &limits.max {
        item["max"] = pair(&Some(max.clone()), ("", ""));
    }
    json!({
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": ctx.metadata("floe-limits", "namespace"),
        "spec": {"limits": [item]},
    })
}

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
    let mut secrets: Vec<&String> = secrets.iter().collect();
    secrets.sort();
    secrets.dedup();
    let mut configmaps: Vec<&String> = configmaps.iter().collect();
    configmaps.sort();
    configmaps.dedup();
    let mut rules = vec![json!({
        "apiGroups": [""],
        "resources": ["configmaps"],
        "resourceNames": configmaps,
        "verbs": ["get"],
    })];
    if !secrets.is_empty() {
        rules.push(json!({
            "apiGroups": [""],
            "resources": ["secrets"],
            "resourceNames": secrets,
            "verbs": ["get"],
        }));
    }
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": ctx.metadata(&service_account_name(ctx), "identity"),
        "rules": rules,
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

/// `(env var, secret, key)` for plugin config values given as secret refs.
pub(crate) fn plugin_secret_env(ctx: &Ctx) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    if let Some(m) = &ctx.product.manifest {
        for (category, p) in &m.plugins {
            for (key, v) in p.config.iter().flatten() {
                if let Some((secret, skey)) = secret_ref_of(v) {
                    out.push((plugin_env_name(category, key), secret, skey));
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
            let mut config = Map::new();
            for (key, v) in p.config.iter().flatten() {
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
            entry.insert("type".into(), json!(p.plugin_type));
            if let Some(v) = &p.version {
                entry.insert("version".into(), json!(v));
            }
            entry.insert("config".into(), Value::Object(config));
            plugins.insert(category.clone(), Value::Object(entry));
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

/// Default deny in both directions, then the allows the product needs: DNS,
/// traffic inside the namespace, the ingress controller to workloads with an
/// ingress, and the configured egress destinations.
pub(crate) fn network_policies(ctx: &Ctx, workloads: &[EffectiveWorkload]) -> Vec<Value> {
    let ns = &ctx.product.settings.namespace;
    let enabled = ns
        .network_policies
        .unwrap_or(defaults::for_env(ctx.env).network_policies);
    if !enabled {
        return Vec::new();
    }
    let policy = |name: &str, spec: Value| {
        json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": ctx.metadata(name, "network"),
            "spec": spec,
        })
    };
    let mut out = vec![
        policy(
            "default-deny",
            json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        ),
        policy(
            "allow-dns",
            json!({
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [{
                    "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                }],
            }),
        ),
        policy(
            "allow-same-namespace",
            json!({
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": [{"podSelector": {}}]}],
                "egress": [{"to": [{"podSelector": {}}]}],
            }),
        ),
    ];
    let from_namespaces = ns
        .ingress_from_namespaces
        .clone()
        .unwrap_or_else(|| vec!["ingress-nginx".to_string()]);
    for w in workloads.iter().filter(|w| w.config.ingress.is_some()) {
        let from: Vec<Value> = from_namespaces
            .iter()
            .map(|n| json!({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": n}}}))
            .collect();
        let ports: Vec<Value> = w
            .config
            .ports
            .iter()
            .map(|p| json!({"protocol": p.protocol.clone().unwrap_or_else(|| "TCP".into()), "port": p.container_port}))
            .collect();
        out.push(policy(
            &format!("allow-ingress-{}", w.name),
            json!({
                "podSelector": {"matchLabels": w.selector_labels(ctx)},
                "policyTypes": ["Ingress"],
                "ingress": [{"from": from, "ports": ports}],
            }),
        ));
    }
    if !ns.egress.is_empty() {
        let rules: Vec<Value> = ns
            .egress
            .iter()
            .map(|e| {
                let mut rule = json!({"to": [{"ipBlock": {"cidr": e.cidr}}]});
                if !e.ports.is_empty() {
                    rule["ports"] = Value::Array(
                        e.ports
                            .iter()
                            .map(|p| json!({"protocol": "TCP", "port": p}))
                            .collect(),
                    );
                }
                rule
            })
            .collect();
        out.push(policy(
            "allow-egress",
            json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": rules}),
        ));
    }
    out
}
