//! The quota rule: what the workloads' pods request at their peak must fit
//! the namespace's ResourceQuota, pods included.

use super::resources::parse_quantity;
use super::workload::WorkloadScope;
use crate::model::defaults::{self, EnvDefaults};
use crate::model::diag::Diagnostic;
use crate::model::effective::resolve_resources;
use crate::model::platform::{CpuMemory, Quantityish};
use crate::model::quantity::{self, Milli};
use crate::model::settings::{QuotaSettings, WorkloadKind};
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
        let c = s.config();
        let pods = match c.kind {
            WorkloadKind::Deployment | WorkloadKind::StatefulSet => c
                .hpa
                .as_ref()
                .map(|h| h.max_replicas)
                .unwrap_or_else(|| s.workload.replicas(s.env)),
            WorkloadKind::Job | WorkloadKind::CronJob => {
                c.job.as_ref().and_then(|j| j.parallelism).unwrap_or(1)
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
        let mut pod = resolve(c.resources.as_ref());
        // Native sidecars run alongside the main container for the pod's life.
        for x in &c.sidecars {
            let sidecar = resolve(x.resources.as_ref());
            pod = std::array::from_fn(|i| pod[i].plus(sidecar[i]));
        }
        // Init containers run one at a time: the pod needs the larger of them.
        for x in &c.init_containers {
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
    let env = defaults::for_env(p.env);
    let quota = p.settings.namespace.quota.clone().unwrap_or_default();
    for (i, check) in resource_checks(&quota, &env).into_iter().enumerate() {
        check_resource(p, usage, i, check, out);
    }
    check_pods(p, usage, quota.pods.unwrap_or(env.quota_pods), out);
}

/// One quota amount: its field, what it limits, the limit as written (or
/// the environment's default) and whether it is memory.
struct ResourceCheck {
    field: &'static str,
    what: &'static str,
    limit_text: String,
    memory: bool,
}

/// In the order of [`Usage`]'s amounts.
fn resource_checks(quota: &QuotaSettings, env: &EnvDefaults) -> [ResourceCheck; 4] {
    let text = |v: &Option<Quantityish>, d: &str| {
        v.as_ref()
            .map(|q| q.as_string())
            .unwrap_or_else(|| d.to_string())
    };
    let check = |field, what, limit_text, memory| ResourceCheck {
        field,
        what,
        limit_text,
        memory,
    };
    [
        check(
            "cpu",
            "cpu requests",
            text(&quota.cpu, env.quota_cpu),
            false,
        ),
        check(
            "memory",
            "memory requests",
            text(&quota.memory, env.quota_memory),
            true,
        ),
        check(
            "limitsCpu",
            "cpu limits",
            text(&quota.limits_cpu, env.quota_limits_cpu),
            false,
        ),
        check(
            "limitsMemory",
            "memory limits",
            text(&quota.limits_memory, env.quota_limits_memory),
            true,
        ),
    ]
}

fn check_resource(
    p: &Product,
    usage: &Usage,
    i: usize,
    check: ResourceCheck,
    out: &mut Vec<Diagnostic>,
) {
    let path = format!("namespace.quota.{}", check.field);
    let Some(limit) = parse_quantity(SETTINGS_FILE, &path, &check.limit_text, out) else {
        return;
    };
    let used = usage.total(i);
    if used <= limit {
        return;
    }
    let show = |m: Milli| {
        if check.memory {
            m.display_memory()
        } else {
            m.display_cpu()
        }
    };
    let what = check.what;
    let (side, res) = what
        .split_once(' ')
        .map(|(r, s)| (s, r))
        .unwrap_or(("requests", "cpu"));
    out.push(
        Diagnostic::error(
            SETTINGS_FILE,
            path.clone(),
            format!(
                "{what} add up to {} at peak, above the namespace quota of {}; pods at peak (replicas or HPA maximum) × one pod's {side}: {}",
                show(used),
                check.limit_text,
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
