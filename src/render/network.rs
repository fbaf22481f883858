//! NetworkPolicies: default deny in both directions, then the allows the
//! product needs.

use super::context::Ctx;
use crate::model::defaults;
use crate::model::effective::EffectiveWorkload;
use crate::model::settings::NamespaceSettings;
use serde_json::{json, Value};

/// Default deny, then DNS, traffic inside the namespace, the ingress
/// controller to workloads with an ingress, and the configured egress
/// destinations.
pub(crate) fn network_policies(ctx: &Ctx, workloads: &[EffectiveWorkload]) -> Vec<Value> {
    let ns = &ctx.product.settings.namespace;
    let enabled = ns
        .network_policies
        .unwrap_or(defaults::for_env(ctx.env).network_policies);
    if !enabled {
        return Vec::new();
    }
    let mut out = baseline_policies(ctx);
    let from_namespaces = ns
        .ingress_from_namespaces
        .clone()
        .unwrap_or_else(|| vec!["ingress-nginx".to_string()]);
    for w in workloads.iter().filter(|w| w.config.ingress.is_some()) {
        out.push(ingress_policy(ctx, w, &from_namespaces));
    }
    if !ns.egress.is_empty() {
        out.push(egress_policy(ctx, ns));
    }
    out
}

fn network_policy(ctx: &Ctx, name: &str, spec: Value) -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": ctx.metadata(name, "network"),
        "spec": spec,
    })
}

fn baseline_policies(ctx: &Ctx) -> Vec<Value> {
    vec![
        network_policy(
            ctx,
            "default-deny",
            json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        ),
        network_policy(
            ctx,
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
        network_policy(
            ctx,
            "allow-same-namespace",
            json!({
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": [{"podSelector": {}}]}],
                "egress": [{"to": [{"podSelector": {}}]}],
            }),
        ),
    ]
}

/// Lets the ingress controller's namespaces reach one workload's ports.
fn ingress_policy(ctx: &Ctx, w: &EffectiveWorkload, from_namespaces: &[String]) -> Value {
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
    network_policy(
        ctx,
        &format!("allow-ingress-{}", w.name),
        json!({
            "podSelector": {"matchLabels": ctx.selector_labels(&w.name)},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": from, "ports": ports}],
        }),
    )
}

fn egress_policy(ctx: &Ctx, ns: &NamespaceSettings) -> Value {
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
    network_policy(
        ctx,
        "allow-egress",
        json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": rules}),
    )
}
