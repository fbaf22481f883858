//! Rules for the merged deployment settings: namespace-level names, then
//! the shared image, each workload, and the quota their pods add up to.

use super::image::image_rules;
use super::names::{invalid_dns_name, is_dns1123_label, is_dns1123_subdomain};
use super::quota::{quota_rules, Usage};
use super::scope::WorkloadScope;
use super::workload::workload_rules;
use crate::model::defaults;
use crate::model::diag::Diagnostic;
use crate::model::effective::{effective_workloads, namespace_name};
use crate::model::{Product, SETTINGS_FILE};
use std::collections::BTreeSet;

pub(super) fn settings_rules(p: &Product, out: &mut Vec<Diagnostic>) {
    let env = defaults::for_env(p.env);
    namespace_rules(p, out);
    let workloads = effective_workloads(p);
    let names: BTreeSet<&str> = workloads.iter().map(|w| w.name.as_str()).collect();
    image_rules(p, &workloads, &env, out);
    let mut usage = Usage::default();
    for w in &workloads {
        let scope = WorkloadScope::new(p, w, &env);
        workload_rules(&scope, &names, out);
        usage.add(&scope);
    }
    quota_rules(p, &usage, out);
}

/// Namespaces the cluster itself uses: floe's namespace-wide objects would
/// change them for everyone.
fn is_system_namespace(ns: &str) -> bool {
    ns == "default" || ns.starts_with("kube-")
}

/// The namespace name, the pull Secrets and the namespaces allowed in.
fn namespace_rules(p: &Product, out: &mut Vec<Diagnostic>) {
    let ns = namespace_name(p);
    if !is_dns1123_label(&ns) {
        out.push(invalid_dns_name("namespace.name", "namespace name", &ns));
    } else if is_system_namespace(&ns) {
        out.push(
            Diagnostic::error(
                SETTINGS_FILE,
                "namespace.name",
                format!("{ns:?} is a system namespace; a product needs a namespace of its own"),
            )
            .with_hint(format!(
                "floe owns its namespace (quota, limits, network policies, Pod Security labels) and would overwrite the cluster's; leave namespace.name out for the default {:?}",
                format!("{}-{}", p.spec.metadata.name, p.env)
            )),
        );
    }
    for (i, s) in p.settings.image_pull_secrets.iter().enumerate() {
        if !is_dns1123_subdomain(s) {
            out.push(invalid_dns_name(
                format!("imagePullSecrets[{i}]"),
                "Secret name",
                s,
            ));
        }
    }
    let allowed = p
        .settings
        .namespace
        .ingress_from_namespaces
        .iter()
        .flatten();
    for (i, n) in allowed.enumerate() {
        if !is_dns1123_label(n) {
            out.push(invalid_dns_name(
                format!("namespace.ingressFromNamespaces[{i}]"),
                "namespace name",
                n,
            ));
        }
    }
}
