//! Ingress rules: a Service to route to, a declared port, a valid TLS
//! Secret name.

use super::names::{invalid_dns_name, is_dns1123_subdomain};
use super::scope::WorkloadScope;
use crate::model::diag::Diagnostic;

pub(super) fn ingress_rules(s: &WorkloadScope, out: &mut Vec<Diagnostic>) {
    let config = s.config();
    let Some(ing) = &config.ingress else { return };
    if !s.workload.has_service() || config.ports.is_empty() {
        out.push(
            s.error("ingress", "an ingress needs a Service to route to")
                .with_hint("declare `ports:` on a Deployment or StatefulSet"),
        );
    }
    if let Some(port) = &ing.port {
        if !config.ports.iter().any(|p| &p.name == port) {
            out.push(
                s.error("ingress.port", format!("no port named {port:?}"))
                    .with_hint(
                    "`ingress.port` names one of the workload's `ports:` (defaults to the first)",
                ),
            );
        }
    }
    if let Some(tls) = &ing.tls_secret {
        if !is_dns1123_subdomain(tls) {
            out.push(invalid_dns_name(
                s.at("ingress.tlsSecret"),
                "Secret name",
                tls,
            ));
        }
    }
}
