//! Rules for scaling, disruption and rollout: an HPA or a
//! PodDisruptionBudget only on long-running kinds and with consistent
//! numbers, and a rollout that can make progress.

use super::scope::WorkloadScope;
use crate::model::diag::Diagnostic;
use crate::model::settings::IntOrPercent;

pub(super) fn hpa_rules(s: &WorkloadScope, out: &mut Vec<Diagnostic>) {
    let config = s.config();
    let Some(h) = &config.hpa else { return };
    if !config.kind.is_long_running() {
        out.push(
            s.error(
                "hpa",
                format!("an HPA cannot scale a {}", config.kind.as_str()),
            )
            .with_hint("HPAs scale Deployments and StatefulSets"),
        );
    }
    let min = h.min_replicas.unwrap_or_else(|| s.workload.replicas(s.env));
    if h.max_replicas < min.max(1) {
        out.push(
            s.error(
                "hpa.maxReplicas",
                format!("maxReplicas {} is below minReplicas {min}", h.max_replicas),
            )
            .with_hint("raise hpa.maxReplicas to at least hpa.minReplicas (or lower minReplicas)"),
        );
    }
}

pub(super) fn pdb_rules(s: &WorkloadScope, out: &mut Vec<Diagnostic>) {
    let config = s.config();
    let Some(pdb) = &config.pdb else { return };
    if !config.kind.is_long_running() {
        out.push(
            s.error(
                "pdb",
                format!(
                    "a PodDisruptionBudget does not apply to a {}",
                    config.kind.as_str()
                ),
            )
            .with_hint(
                "PodDisruptionBudgets protect Deployments and StatefulSets; remove `pdb` here",
            ),
        );
    }
    if pdb.min_available.is_some() && pdb.max_unavailable.is_some() {
        out.push(
            s.error("pdb", "set minAvailable or maxUnavailable, not both")
                .with_hint("a PodDisruptionBudget takes one of the two; keep the one you mean"),
        );
    }
}

pub(super) fn rollout_rules(s: &WorkloadScope, out: &mut Vec<Diagnostic>) {
    let Some(r) = &s.config().rollout else { return };
    if let (Some(IntOrPercent::Int(0)), Some(IntOrPercent::Int(0))) =
        (&r.max_surge, &r.max_unavailable)
    {
        out.push(
            s.error("rollout", "maxSurge and maxUnavailable cannot both be 0")
                .with_hint("the platform default is maxSurge 1, maxUnavailable 0"),
        );
    }
    for (field, v) in [
        ("maxSurge", &r.max_surge),
        ("maxUnavailable", &r.max_unavailable),
    ] {
        if let Some(IntOrPercent::Percent(text)) = v {
            let ok = text
                .strip_suffix('%')
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n <= 100);
            if !ok {
                out.push(
                    s.error(
                        &format!("rollout.{field}"),
                        format!("{text:?} is not a percentage from 0% to 100%"),
                    )
                    .with_hint("use e.g. 1 or \"25%\""),
                );
            }
        }
    }
}
