//! The quota rule: what the workloads' pods request at their peak must fit
//! the namespace's ResourceQuota, pods included.

use super::resources::parse_quantity;
use super::scope::WorkloadScope;
use crate::model::diag::Diagnostic;
use crate::model::effective::{quota_amounts, quota_pods, resolve_resources, QuotaAmount};
use crate::model::platform::{CpuMemory, Quantityish};
use crate::model::quantity::{self, Milli};
use crate::model::settings::WorkloadKind;
use crate::model::{Product, SETTINGS_FILE};

/// Effective pod usage, for the quota check: per workload, the pod count
/// at peak and one pod's requests and limits (cpu, memory, limits.cpu,
/// limits.memory).
#[derive(Default)]
pub(super) struct Usage {
    parts: Vec<(String, u32, [Milli; 4])>,
}

impl Usage {
    /// Adds what one workload's pods request at their peak: replicas (or
    /// the HPA's maximum) times the pod's effective request.
    pub fn add(&mut self, s: &WorkloadScope) {
        let config = s.config();
        let pods = match config.kind {
            WorkloadKind::Deployment | WorkloadKind::StatefulSet => config
                .hpa
                .as_ref()
                .map(|h| h.max_replicas)
                .unwrap_or_else(|| s.workload.replicas(s.env)),
            WorkloadKind::Job | WorkloadKind::CronJob => {
                config.job.as_ref().and_then(|j| j.parallelism).unwrap_or(1)
            }
        };
        let amounts = |(requests, limits): (CpuMemory, CpuMemory)| {
            let parse = |q: &Quantityish| quantity::parse(&q.as_string()).unwrap_or_default();
            [
                parse(&requests.cpu),
                parse(&requests.memory),
                parse(&limits.cpu),
                parse(&limits.memory),
            ]
        };
        let resolve = |r| amounts(resolve_resources(s.product, r));
        let mut pod = resolve(config.resources.as_ref());
        // Native sidecars run alongside the main container for the pod's life.
        for x in &config.sidecars {
            let sidecar = resolve(x.resources.as_ref());
            pod = std::array::from_fn(|i| pod[i].plus(sidecar[i]));
        }
        // Init containers run one at a time: the pod needs the larger of them.
        for x in &config.init_containers {
            let step = resolve(x.resources.as_ref());
            pod = std::array::from_fn(|i| pod[i].max(step[i]));
        }
        self.parts.push((s.workload.name.clone(), pods, pod));
    }

    fn total(&self, i: usize) -> Milli {
        self.parts
            .iter()
            .fold(Milli::default(), |sum, (_, pods, per)| {
                sum.plus(per[i].times(*pods))
            })
    }

    fn pods(&self) -> u32 {
        self.parts
            .iter()
            .fold(0u32, |sum, p| sum.saturating_add(p.1))
    }

    /// `code-location: 3 pods × 2, dbt-run: 1 pod × 100m`, largest first.
    fn breakdown(&self, i: usize, show: impl Fn(Milli) -> String) -> String {
        let mut parts: Vec<&(String, u32, [Milli; 4])> =
            self.parts.iter().filter(|p| p.1 > 0).collect();
        parts.sort_by_key(|p| std::cmp::Reverse(p.2[i].times(p.1)));
        let mut text: Vec<String> = parts
            .iter()
            .take(5)
            .map(|(name, pods, per)| {
                let noun = if *pods == 1 { "pod" } else { "pods" };
                format!("{name} {pods} {noun} × {}", show(per[i]))
            })
            .collect();
        if parts.len() > 5 {
            text.push(format!("{} more", parts.len() - 5));
        }
        text.join(", ")
    }
}

pub(super) fn quota_rules(p: &Product, usage: &Usage, out: &mut Vec<Diagnostic>) {
    for (i, amount) in quota_amounts(p).into_iter().enumerate() {
        check_amount(p, usage, i, amount, out);
    }
    check_pods(p, usage, quota_pods(p), out);
}

/// Amount `i` of [`Usage`] against the same quota amount.
fn check_amount(
    p: &Product,
    usage: &Usage,
    i: usize,
    amount: QuotaAmount,
    out: &mut Vec<Diagnostic>,
) {
    let path = format!("namespace.quota.{}", amount.field);
    let Some(limit) = parse_quantity(SETTINGS_FILE, &path, &amount.text, out) else {
        return;
    };
    let used = usage.total(i);
    if used <= limit {
        return;
    }
    let show = |m: Milli| {
        if amount.memory {
            m.display_memory()
        } else {
            m.display_cpu()
        }
    };
    let (side, res) = amount.key.split_once('.').unwrap_or(("requests", "cpu"));
    out.push(
        Diagnostic::error(
            SETTINGS_FILE,
            path.clone(),
            format!(
                "{res} {side} add up to {} at peak, above the namespace quota of {}; pods at peak (replicas or HPA maximum) × one pod's {side}: {}",
                show(used),
                amount.text,
                usage.breakdown(i, show)
            ),
        )
        .with_hint(format!(
            "raise {path} for {} (e.g. under environments.{}), or lower replicas, hpa.maxReplicas or resources.{side}.{res}",
            p.env, p.env
        )),
    );
}

fn check_pods(p: &Product, usage: &Usage, pods: u32, out: &mut Vec<Diagnostic>) {
    if usage.pods() <= pods {
        return;
    }
    let count = |m: Milli| m.display_cpu();
    let one = Milli(1000);
    let per_pod = Usage {
        parts: usage
            .parts
            .iter()
            .map(|(n, p, _)| (n.clone(), *p, [one; 4]))
            .collect(),
    };
    out.push(
        Diagnostic::error(
            SETTINGS_FILE,
            "namespace.quota.pods",
            format!(
                "the workloads run up to {} pods at peak (replicas or HPA maximum), above the quota of {pods}: {}",
                usage.pods(),
                per_pod.breakdown(0, count).replace(" × 1", "")
            ),
        )
        .with_hint(format!(
            "raise namespace.quota.pods for {} (e.g. under environments.{}), or lower replicas or hpa.maxReplicas",
            p.env, p.env
        )),
    );
}
